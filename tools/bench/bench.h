#pragma once
// herald bench: the latency lab (docs/design.md, issue 4). Entry points for `herald bench` and
// `herald bench compare`; main.cpp maps CLI11 flags onto these plain structs.
//
// A run drives N subscribers per transport and P publishers against a server, on several
// pinned client loops, and measures publish->deliver latency (a timestamp in every payload),
// delivered / missing / duplicated / out-of-order counts (checked against offsets per
// subscriber, or against a sequence number in the payload for servers without offsets), bytes on
// the wire per delivery, requests per delivery, connect time and the server's CPU and RSS.
// Everything is bounded: connections by kMaxBenchConnections, time by duration + drain (which
// ends when deliveries stop moving, and after kMaxDrainSec at most).
#include <cstdint>
#include <string>
#include <vector>

namespace herald::bench {

/// Hard cap on client connections in one run (the fd limit here is 20,000 per process).
inline constexpr int kMaxBenchConnections = 18'000;
/// Longest drain however much is still arriving (a backlog behind a very slow link), seconds.
inline constexpr double kMaxDrainSec = 300;
/// Short-poll interval when none is given: this long, or shorter when the server's history
/// would not cover the messages of one interval (auto_poll_interval), but never below the
/// minimum (a poller that cannot keep up then is a measured limit, reported as one).
inline constexpr double kMaxAutoPollInterval = 1.0;
inline constexpr double kMinAutoPollInterval = 0.1;
/// Publishes per second of `herald bench compare` without a preset: a rate whose messages per
/// short poll fit in the default history of a server with default settings.
inline constexpr double kDefaultCompareRate = 100;

struct BenchOptions {
  std::string url = "http://127.0.0.1:8080";  // server base URL (numeric host or localhost)
  std::string cacert;  // https:// and wss:// URLs: PEM CA file ("" : the system's store)
  /// Where publishers connect; "" : `url`. Another node of the same cluster measures
  /// publish->deliver across nodes (Redis engine, docs/scaling.md).
  std::string publish_url;
  std::string target = "herald";  // herald | nchan | ws-echo
  /// Subscriber transports, run one after the other: ws, sse, longpoll, poll, udp.
  std::vector<std::string> transports = {"ws"};
  int subscribers = 100;             // per transport (ws-echo: connections)
  int channels = 1;                  // subscriber i listens on channel i % channels
  int publishers = 1;                // publisher connections
  std::string publish_via = "http";  // http (POST /api/publish) | ws (publish op)
  double rate = 1000;                // publishes per second, all publishers together; 0 = max
  int inflight = 1;                  // publishes in flight per publisher when rate is 0
  int payload = 100;                 // bytes of each message's data (timestamp + padding)
  double duration = 5;               // seconds of publishing (unless messages > 0)
  uint64_t messages = 0;             // total publishes; when > 0 the run stops after them
  double ramp_up = 0;                // seconds over which subscribers connect
  double churn = 0;                  // each subscriber reconnects with its cursor every X s
  double poll_interval = 0;          // seconds between short polls; 0: auto_poll_interval
  bool poll_interval_auto = false;   // resolve_poll_interval chose it (said in the report)
  double longpoll_wait = 30;         // wait= of long-polls, seconds
  double drain = 5;  // after the last publish, stop waiting once nothing arrived for this long (s)
  double connect_timeout = 10;  // max seconds for every subscriber to be ready
  int threads = 0;              // client loops; 0 = one per core
  bool pin = true;              // pin client loops to cores (sched_setaffinity)
  int server_pid = 0;           // sample this process's CPU and RSS (same machine)
  /// The server's channel history_size when known (compare sets it for the server it starts);
  /// 0: unknown, the report assumes the server default (kDefaultHistorySize) and says so.
  int history_size = 0;
  std::string preset;  // chat | ticker | fanout | lossy | mobile | satellite | bandwidth
  /// --netem: run in the network lab under this condition (tools/netlab/condition.h); "" = no
  /// lab, the clients talk to --url directly.
  std::string netem;
  uint64_t seed = 1;  // --seed: the lab's loss draws and jitter curve
  /// --serve: start a herald server of our own for the run (implied by --netem, which starts
  /// it inside the lab's server namespace).
  bool serve = false;
  std::string server_binary = "/proc/self/exe";
  int server_threads = 0;  // --threads of a server of our own; 0: its default
  std::string channel_prefix = "public:bench";
  std::string api_key;  // Authorization: Bearer for /api/publish
  /// --token: a JWT every subscriber presents (Authorization: Bearer on WebSocket upgrades and
  /// HTTP requests, the UDP open); the publisher's too when api_key is empty. Empty: anonymous
  /// (the command line fills it from $HERALD_TOKEN). Not sent to Nchan.
  std::string token;
  std::string json_path;  // --json FILE
  std::string svg_path;   // --svg FILE
  bool quiet = false;     // no progress lines on stderr
};

struct CompareOptions {
  std::string url;  // empty: start `server_binary serve --listen 127.0.0.1:<free port>`
  double duration = 5;
  std::string json_path;
  std::string svg_path;
  std::string preset;        // chat | ticker | fanout, or a network preset (netlab::net_presets)
  int subscribers = 0;       // 0: the preset's (or 100)
  double rate = -1;          // <0: the preset's (or kDefaultCompareRate)
  int payload = 0;           // 0: the preset's (or 100)
  int channels = 0;          // 0: the preset's (or 1)
  double poll_interval = 0;  // 0: auto (see BenchOptions)
  double longpoll_wait = 30;
  int threads = 0;
  int server_pid = 0;
  std::string netem;  // one condition for every transport (lab); a network preset runs several
  uint64_t seed = 1;
  std::string target = "herald";  // herald | nchan (nchan has no short poll: skipped)
  std::string api_key;            // as BenchOptions::api_key
  std::string token;              // as BenchOptions::token
  bool list_presets = false;      // print the presets and their conditions, run nothing
  std::string server_binary = "/proc/self/exe";  // what to spawn when url is empty
  int server_threads = 0;  // --threads for the spawned server; 0 = its default
  /// --history-size for the spawned server (or what the --url server keeps, for the report);
  /// 0: for a spawned server, enough for short polls (history_size_for), else unknown.
  int history_size = 0;
  bool quiet = false;
};

/// The round trip the lab's condition adds at most (2 x (delay + jitter)), seconds; 0 without
/// --netem.
double link_rtt_s(const BenchOptions& o);

/// Messages one channel receives between two answers to a short poll: rate / channels x
/// (poll interval + link RTT) - the cursor of an answer is a round trip old when the next
/// poll reaches the server. 0 when the rate is "max", unknown in advance. An interval of 0
/// (auto, not resolved yet) counts as kMaxAutoPollInterval.
double messages_per_poll(const BenchOptions& o);

/// A history size that keeps short polls of `o` recoverable: twice messages_per_poll (polls
/// come late under load), at least the server default, at most the server's limit.
int history_size_for(const BenchOptions& o);

/// The short-poll interval for `o` when none was given: kMaxAutoPollInterval, or shorter so
/// that messages_per_poll stays within half the server's history (o.history_size, or the
/// server default when unknown), but at least kMinAutoPollInterval.
double auto_poll_interval(const BenchOptions& o);

/// Sets o.poll_interval to auto_poll_interval(o) when it is 0 (and poll_interval_auto).
void resolve_poll_interval(BenchOptions& o);

/// Applies a preset's workload ("chat": low rate, many idle subscribers on many channels;
/// "ticker": high rate, few channels; "fanout": one channel, many subscribers; the network
/// presets: a few subscribers at a rate their link can carry). Returns false for an unknown
/// name. Fields the user set explicitly should be applied after this.
bool apply_preset(const std::string& name, BenchOptions& o);

/// The verdict of one transport's run, for the tables and the exit code.
enum class Verdict {
  ok,       // every message exactly once, in order
  limit,    // the only losses are messages the server no longer had (recovered:false): the
            // transport could not keep up with the history - a measured limit, not a fault
  unclean,  // anything else lost, duplicated, reordered, or a client failed
};

/// Runs `herald bench`: prints the table on stdout, writes --json/--svg if asked. Returns 0
/// when every run was clean, 1 when a message was lost, duplicated or reordered or a client
/// failed, 2 on bad options or when the server could not be reached.
int run_bench(const BenchOptions& opts);

/// Runs `herald bench compare`: the same workload over ws, sse, longpoll, poll and udp (not
/// with Nchan or over TLS), then the
/// decision table; with a network preset, once per condition of the preset, in the lab. Exit
/// codes as run_bench, except that a measured limit (Verdict::limit) is a result, not a
/// failure: compare exits 0 when every transport was ok or limited.
int run_compare(const CompareOptions& opts);

}  // namespace herald::bench
