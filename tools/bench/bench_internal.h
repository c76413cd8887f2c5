#pragma once
// Helpers shared by run_bench (bench.cpp) and run_compare (compare.cpp).
#include <string>

#include "lab_run.h"
#include "result.h"
#include "server_proc.h"

namespace herald::bench {

/// SIGPIPE ignored: a server that goes away must be reported, not kill the bench.
void ignore_sigpipe();
/// Prints the tables (and the decision table), the verdict lines, writes --json/--svg; returns
/// the exit code (2 when a file could not be written).
int finish(const RunReport& rep, const std::string& json, const std::string& svg, bool decision,
           bool limits_ok);
/// Says on stderr which run found the server gone.
void report_unreachable(const RunReport& rep, const std::string& url);
/// False, after "COMMAND: URL: CAUSE" on stderr, when nothing usable answers at --url or
/// --publish-url (refused, reset, closed, or no connect within --connect-timeout): a run
/// against it would be --connect-timeout seconds of silence and a table of zeros.
bool reachable(const BenchOptions& o, const char* command);
/// The server a run of `o` starts for itself (--serve, --netem, compare without --url).
ServerSpec own_server(const BenchOptions& o);
/// One progress line on stderr about the lab (unless quiet).
void say_lab(const BenchOptions& o, const LabRun& lab);

}  // namespace herald::bench
