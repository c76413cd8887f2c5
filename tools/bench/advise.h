#pragma once
// herald bench advise: measures the four transports in the lab under the conditions a user
// describes (round trip, loss, message rate, subscribers, client environment) and recommends
// one, with the figures behind the choice. The choice itself is a pure function of the
// measured report and the environment, so it is unit-tested with made-up reports.
#include <string>
#include <vector>

#include "result.h"

namespace herald::bench {

struct AdviseOptions {
  std::string rtt = "50ms";   // round trip of the clients' path ("80ms", "80")
  std::string jitter = "0";   // jitter, each way ("5ms")
  std::string loss = "0";     // packet loss, each way ("1%", "1")
  std::string bandwidth;      // cap of the path all clients share ("2000kbps"); "" = none
  std::string rate = "10/s";  // publishes per second in total ("10/s", "10")
  int subscribers = 100;
  int channels = 1;
  int payload = 100;
  double duration = 5;  // seconds of publishing per transport
  uint64_t seed = 1;
  std::string client = "browser";  // browser | native
  bool proxies = false;            // buffering proxies between clients and server
  bool sends = false;              // clients also send (chat, games): a two-way channel
  std::string json_path;
  bool quiet = false;
  std::string server_binary = "/proc/self/exe";
  int server_threads = 0;
};

/// The environment the choice depends on, besides the measurements.
struct AdviseEnv {
  bool browser = true;
  bool proxies = false;
  bool sends = false;
};

/// Two latencies closer than this share (of the larger) are a tie, decided by cost.
inline constexpr double kLatencyTieShare = 0.10;
/// ... or closer than this, whatever their size (noise on a busy machine).
inline constexpr uint64_t kLatencyTieNs = 2'000'000;
/// Linux's shortest retransmission timeout, ms. When the link loses packets, two tails closer
/// than one loss recovery (this + a round trip) differ by which packets happened to be lost,
/// not by the transport: a tie.
inline constexpr double kMinRtoMs = 200;

struct Advice {
  std::string transport;               // the recommendation ("" when nothing was usable)
  std::vector<std::string> reasons;    // one sentence each, with figures
  std::vector<std::string> ruled_out;  // "sse: ..." for each transport not chosen, and why
};

/// Chooses among the runs of `rep`: transports the environment excludes first (buffering
/// proxies break streaming responses and WebSocket upgrades), then those that did not deliver
/// every message, then the lowest p99 latency, a tie (latency_tie_ns) going
/// to fewer wire bytes per delivery, then less server CPU per delivery. Clients that send get
/// WebSocket when it ties.
Advice choose_transport(const RunReport& rep, const AdviseEnv& env);

/// How close two p99 latencies of `rep` must be to tie, besides kLatencyTieShare: kLatencyTieNs,
/// or one loss recovery (kMinRtoMs + the round trip) when the lab's link loses packets.
uint64_t latency_tie_ns(const RunReport& rep);

/// Parses "80ms" / "80" (ms), "1%" / "1", "10/s" / "10", "2000kbps" / "2000": the number, or
/// false.
bool parse_quantity(const std::string& text, const char* unit, double* value);

/// Runs `herald bench advise`: 0 with a recommendation, 1 when no transport delivered
/// everything, 2 on bad options or when the lab cannot run.
int run_advise(const AdviseOptions& opts);

}  // namespace herald::bench
