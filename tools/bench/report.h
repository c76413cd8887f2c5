#pragma once
// Reporters: the human table (stdout), the decision table of `compare`, the JSON file (every
// figure and the exact parameters) and the SVG chart.
#include <cstdio>
#include <string>
#include <vector>

#include "result.h"

namespace herald::bench {

/// "850us", "1.25ms", "2.1s" for a duration in nanoseconds.
std::string format_ns(uint64_t ns);

/// Cost figures derived from a result (0 when the denominator is 0).
struct Costs {
  double down_bytes_per_msg = 0;    // server -> subscriber bytes per delivery
  double up_bytes_per_msg = 0;      // subscriber -> server bytes per delivery
  double requests_per_msg = 0;      // HTTP requests per delivery (pull transports)
  double server_cpu_ms_per_1k = 0;  // server CPU milliseconds per 1,000 deliveries
  double bytes_per_1k = 0;          // both directions, per 1,000 deliveries
};
Costs costs_of(const TransportResult& r);

/// "history_size 2000" when the report knows the server's history size, else "history_size
/// unknown (server default 100 assumed)".
std::string history_desc(const BenchOptions& o);

/// Empty, or a warning that short polls of `o` will lose messages: more messages reach one
/// channel between two polls than the server's history keeps, so a poll's cursor falls out
/// of the history and the answer is recovered:false (the skipped messages are lost).
std::string history_note(const BenchOptions& o);

/// Why a transport with Verdict::limit lost what it lost, with the arithmetic: for short
/// polls, messages per poll against the history and the interval that would keep up; for the
/// others, how often they fell behind the history.
std::string limit_note(const BenchOptions& o, const TransportResult& r);

/// "ok", "LIMIT" or "NOT CLEAN".
const char* verdict_name(Verdict v);

void print_table(FILE* out, const RunReport& rep);
void print_decision_table(FILE* out, const RunReport& rep);
/// Loud lines for every run that lost, duplicated or reordered messages.
void print_verdict(FILE* out, const RunReport& rep);

std::string to_json(const RunReport& rep);
/// A latency CDF per transport and a bar chart of cost per message, standalone SVG.
std::string to_svg(const RunReport& rep);

// ---- the lab (lab_report.cpp, lab_svg.cpp) ----------------------------------------------------

/// The lab's lines above a lab run's table: condition, seed, where everything sits, what the
/// relay itself adds (calibration).
void print_lab_header(FILE* out, const RunReport& rep);
/// Per transport, what the link did: packets each way, losses, TCP retransmissions and RTOs,
/// deliveries per packet (batching), wire bytes per delivery, the relay's CPU and lateness.
void print_link_table(FILE* out, const RunReport& rep);
/// Transports x conditions: latency percentiles, retransmissions, wire cost, verdicts.
void print_matrix_table(FILE* out, const std::vector<RunReport>& reports);
/// The "lab" member of a report's JSON (after "server"), and the "link" member of a run's.
void lab_json(std::string& j, const RunReport& rep);
void link_json(std::string& j, const TransportResult& r);
/// Every condition's report in one JSON document.
std::string to_json_matrix(const std::string& preset, const std::vector<RunReport>& reports);
/// One latency CDF panel per condition (shared axes, one legend) and bar charts of p99, wire
/// bytes and retransmissions per condition and transport, standalone SVG.
std::string to_svg_matrix(const std::string& preset, const std::vector<RunReport>& reports);

/// Writes `text` to `path`; false (and a message on stderr) when it cannot.
bool write_file(const std::string& path, const std::string& text);

}  // namespace herald::bench
