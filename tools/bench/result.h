#pragma once
// What one bench run measured, per transport, and the server-process samples it took. Filled by
// the runner, read by the reporters (table, JSON, SVG).
#include <cstdint>
#include <string>
#include <vector>

#include "base/histogram.h"
#include "bench.h"
#include "tools/netlab/lab.h"

namespace herald::bench {

/// CPU and memory of a process, from /proc/PID/task/*/schedstat (or /proc/PID/stat) and
/// /proc/PID/status.
struct ProcSample {
  bool ok = false;
  double cpu_s = 0;     // utime + stime
  uint64_t rss_kb = 0;  // VmRSS
  uint64_t hwm_kb = 0;  // VmHWM (peak RSS)
};

/// Reads a sample of `pid`; ok == false when the process is gone or unreadable.
ProcSample sample_process(int pid);

/// Parses the text of /proc/PID/stat (the comm field may hold spaces and parentheses) into
/// utime + stime in clock ticks; false when malformed.
bool parse_proc_stat_ticks(const std::string& text, uint64_t* ticks);

/// Reads "Name:   123 kB" from the text of /proc/PID/status; 0 when absent.
uint64_t parse_status_kb(const std::string& text, const char* name);

/// What the lab's link did during one transport's measuring window (lab runs only).
struct LinkResult {
  bool present = false;
  netlab::RelayStats relay;                    // packets each way, drops, the relay's CPU
  netlab::TcpCounters server_tcp, client_tcp;  // each namespace's TCP counters, window deltas
};

/// The lab a report was measured in (lab runs only).
struct LabInfo {
  bool present = false;
  std::string name;  // the condition's name in a preset ("" for --netem)
  netlab::Condition condition;
  uint64_t seed = 0;
  std::string server_ip;
  netlab::Calibration calibration;  // the relay's own round trip, nothing impaired
  bool relay_realtime = false;      // the relay thread ran at real-time priority
};

/// What the UDP subscribers' datagram sessions did (udp runs only), whole run.
struct UdpFigures {
  bool present = false;
  uint64_t datagrams_in = 0, datagrams_out = 0;
  uint64_t resend_requests = 0;  // resend datagrams sent for gaps
  uint64_t tail_probes = 0;      // resends sent to find a lost tail (a quiet channel)
  uint64_t fills = 0;            // publications that arrived while missing (gap fills)
  uint64_t duplicates = 0;       // publication datagrams that arrived again (dropped)
  uint64_t resets = 0;           // leases lost and opened again
  uint64_t keepalives = 0;
  uint64_t retries = 0;  // hello / open / subscribe sent again
  uint64_t fetches = 0;  // announced publications fetched over HTTP
  uint64_t ignored = 0;  // datagrams that did not decode or were not the session's
};

struct TransportResult {
  std::string transport;        // ws | sse | longpoll | poll | udp | echo
  std::string target;           // herald | nchan | ws-echo
  int subscribers = 0;          // asked for
  int ready = 0;                // reached the ready state before publishing
  int failed = 0;               // never got ready
  uint64_t published = 0;       // publishes acknowledged
  uint64_t publish_errors = 0;  // refused or unanswered publishes
  uint64_t expected = 0;        // sum over ready subscribers of their channel's published count
  uint64_t delivered = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t unexpected = 0;
  uint64_t disconnects = 0;  // connections the server closed during the run
  uint64_t reconnects = 0;   // churn and recovery reconnects
  uint64_t unrecovered = 0;  // resumes the server could not honour (recovered: false)
  uint64_t requests = 0;     // HTTP requests sent by subscribers in the window
  uint64_t sub_bytes_in = 0, sub_bytes_out = 0;  // subscriber sockets, in the window
  uint64_t pub_bytes_in = 0, pub_bytes_out = 0;  // publisher sockets, in the window
  double publish_s = 0;                          // first publish to last publish
  double elapsed_s = 0;        // first publish to the end of delivery (or drain timeout)
  base::Histogram latency_ns;  // publish -> deliver
  base::Histogram connect_ns;  // connect() -> ready
  bool server_sampled = false;
  double server_cpu_s = 0;
  uint64_t server_rss_start_kb = 0, server_rss_end_kb = 0, server_hwm_kb = 0;
  uint64_t round_trips = 0;  // ws-echo
  /// Messages skipped by recovered:false answers: the server's history no longer reached
  /// back to the subscriber's cursor, so it jumped to the returned cursor (counted in missing).
  uint64_t unrecovered_messages = 0;
  bool server_gone = false;         // the server went away mid-run (connections refused)
  std::vector<int> loop_cpus;       // CPU each client loop was pinned to (-1: not pinned)
  std::vector<std::string> errors;  // first few client errors, for the report
  LinkResult link;
  UdpFigures udp;
  /// The transport promises order (every one but udp, whose gap fills arrive after what
  /// followed them: counted in out_of_order, no fault there).
  bool ordered = true;

  bool clean() const {
    return failed == 0 && missing == 0 && duplicates == 0 && (out_of_order == 0 || !ordered) &&
           publish_errors == 0 && errors.empty();
  }
  double deliveries_per_s() const { return elapsed_s > 0 ? double(delivered) / elapsed_s : 0; }
  Verdict verdict() const {
    if (clean()) return Verdict::ok;
    bool only_history = missing > 0 && missing == unrecovered_messages && duplicates == 0 &&
                        (out_of_order == 0 || !ordered) && failed == 0 && publish_errors == 0 &&
                        errors.empty() && !server_gone;
    return only_history ? Verdict::limit : Verdict::unclean;
  }
};

struct RunReport {
  BenchOptions options;  // the exact parameters (after presets)
  std::vector<TransportResult> runs;
  bool compare = false;
  std::string server;  // "url" or "spawned: CMD"
  LabInfo lab;
};

}  // namespace herald::bench
