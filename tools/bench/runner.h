#pragma once
// Runs the phases of a bench over each requested transport and collects a RunReport.
#include <sched.h>

#include <vector>

#include "result.h"

namespace herald::bench {

/// Checks the options; returns an empty string or what is wrong.
std::string validate(const BenchOptions& o);

/// Runs every transport of `o` one after the other. `*unreachable` is set when no client could
/// connect at all.
RunReport run_all(const BenchOptions& o, bool* unreachable);

/// The CPUs set in `set`, ascending (the process's allowed CPUs come from sched_getaffinity).
std::vector<int> cpus_in(const cpu_set_t& set);

/// The CPU client loop `loop` is pinned to: the loop-th allowed CPU, wrapping around; -1 when
/// `allowed` is empty. Pinning stays inside what the process was given (taskset, cgroups), so
/// `taskset -c 1 herald bench --threads 1` runs on CPU 1, not on top of a server on CPU 0.
int cpu_for_loop(const std::vector<int>& allowed, int loop);

struct Endpoint;

/// False when the server at `ep` is gone: the connect is refused, or the connection is reset or
/// closed before any byte of an answer to GET /health. A connect or an answer that does not
/// come within 1 s counts as alive: a busy server is not a gone one.
bool server_alive(const Endpoint& ep);

/// Exit code for a finished report: 0 clean, 1 something lost/duplicated/failed.
int exit_code(const RunReport& r);

}  // namespace herald::bench
