#pragma once
// The bench engine's internals, shared by the client files and the runner: one Worker per client
// loop thread, the subscriber and publisher states it owns, and the cross-thread run state.
// Threading: a Worker's loop thread alone touches its states and Counters; the main thread
// reads only the atomics here, and everything else after the worker threads were joined.
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/error.h"
#include "base/histogram.h"
#include "base/metrics.h"
#include "bench.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/connection.h"
#include "net/udp_socket.h"
#include "tls/context.h"
#include "tracker.h"
#include "wire.h"

namespace herald::bench {

// The server's transport names, so a report and /metrics say the same words.
using base::Transport;
using base::transport_name;
enum class Target { herald, nchan, ws_echo };

/// Seconds as the shortest decimal with at most 3 fractional digits ("30", "0.5").
std::string format_seconds(double s);
/// ws, sse, longpoll, poll, udp or echo (the transports a bench run can drive).
bool parse_transport(std::string_view s, Transport* t);
bool parse_target(std::string_view s, Target* t);

/// A parsed --url: "http://HOST:PORT[/path]" (ws:// is accepted too; https:// and wss://
/// speak TLS, port 443 by default). Numeric hosts or localhost only.
struct Endpoint {
  net::Address addr;
  std::string host;  // "HOST:PORT" for the Host header
  std::string path;  // "" when the URL has none
  bool tls = false;
  std::string name;  // HOST alone: the name the server's certificate must carry
  /// The client TLS context (set by the runner from --cacert when `tls`).
  std::shared_ptr<const tls::Context> tls_context;
};
base::Result<Endpoint> parse_url(std::string_view url);
/// A TLS handshake or record error (tls::tls_category, tls::verify_category).
bool is_tls_error(std::error_code ec);
/// The client TLS context of a run: trusts --cacert (or the system's store). Errc::config_error
/// with `why` ("--cacert: ...") when the file cannot be used.
base::Result<std::shared_ptr<const tls::Context>> client_tls(const BenchOptions& o,
                                                             std::string& why);

/// Largest response or stream buffer a bench client keeps for one connection.
inline constexpr size_t kClientMaxInput = 8 * 1024 * 1024;
/// Publishes pipelined on one publisher connection at most (the server's limit is 64).
inline constexpr int kMaxPipeline = 32;
/// Delay before a subscriber reconnects after the server closed it.
inline constexpr uint64_t kReconnectDelayMs = 100;
/// Client errors kept verbatim for the report.
inline constexpr size_t kMaxErrorsKept = 5;

struct ChannelState {
  std::string name;
  std::atomic<uint64_t> first{UINT64_MAX};  // lowest acknowledged offset
  std::atomic<uint64_t> last{0};            // highest acknowledged offset
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> next_seq{0};  // payload sequence numbers (servers without offsets)
};

/// The run's shared state. Plain fields are written by the main thread before the workers are
/// told (through Loop::post, which orders memory) and only read afterwards.
struct Shared {
  const BenchOptions* opts = nullptr;
  Transport transport = Transport::ws;
  Target target = Target::herald;
  Endpoint ep;
  Endpoint pub_ep;       // where publishers connect (--publish-url, else ep)
  std::string sub_path;  // path of the subscribe endpoint (/ws, /sse, /poll, /sub/, /ws/echo)
  /// --longpoll-wait as a wait= value, formatted once: printing a double at every long-poll
  /// request was a fifth of the client's instructions in a long-poll run.
  std::string longpoll_wait;
  /// "Authorization: Bearer TOKEN\r\n" for herald targets given a token; empty otherwise.
  std::string auth_header;
  std::vector<std::unique_ptr<ChannelState>> channels;
  int publisher_netns = -1;     // RunEnv::publisher_netns
  net::Address publisher_addr;  // where publishers connect (pub_ep.addr unless in the lab)
  uint64_t publish_end_ns = 0;  // deadline for duration-bounded runs
  uint64_t echo_end_ns = 0;

  std::atomic<int> ready{0};
  std::atomic<int> failed{0};
  std::atomic<int> pubs_ready{0};
  std::atomic<int> pubs_failed{0};
  std::atomic<int> pubs_done{0};
  std::atomic<bool> stopping{false};
  /// Connection attempts the server refused (ECONNREFUSED): once publishing began, a refusal
  /// means the server went away, and the runner ends the run instead of draining into nothing.
  std::atomic<uint64_t> refused{0};
  std::atomic<int> pubs_lost{0};  // publisher connections the server closed mid-publishing
  std::atomic<uint64_t> claimed{0};
  std::atomic<uint64_t> first_publish_ns{UINT64_MAX};
  std::atomic<uint64_t> last_publish_ns{0};
};

/// Per worker figures; merged by the runner after the threads end.
struct Counters {
  base::Histogram latency_ns;
  base::Histogram connect_ns;
  uint64_t requests = 0;
  uint64_t disconnects = 0;
  uint64_t reconnects = 0;
  uint64_t unrecovered = 0;
  uint64_t unrecovered_messages = 0;  // skipped by recovered:false answers (cursor jumps)
  uint64_t published = 0;
  uint64_t publish_errors = 0;
  uint64_t round_trips = 0;
  uint64_t udp_fetches = 0;  // announced publications fetched over HTTP
  uint64_t last_delivery_ns = 0;
  // Socket bytes of connections already closed.
  uint64_t sub_in = 0, sub_out = 0, pub_in = 0, pub_out = 0;
  std::vector<std::string> errors;
  void error(std::string what) {
    if (errors.size() < kMaxErrorsKept) errors.push_back(std::move(what));
  }
};

class Worker;
class UdpSub;

/// One subscriber (or one echo connection): outlives its connections, so churn and reconnects
/// keep its tracker and cursor.
class SubState {
 public:
  SubState(Worker& w, int index, int channel);
  ~SubState();
  /// Opens a connection (the first or a reconnect).
  void connect();
  /// Opens the first connection after `delay_ms` (ramp-up).
  void connect_in(uint64_t delay_ms);
  /// Closes the connection on purpose and reconnects with the cursor (connection churn).
  void churn();
  /// Stops for good: no more reconnects; the connection is closed gracefully (a reset would
  /// make a server that holds a long-poll see an error it may not be reading for).
  void shutdown();

  // Called by the connection handlers.
  void on_ready(uint64_t now_ns);
  void on_message(const Delivered& d, uint64_t now_ns);
  void on_closed(net::Connection& c, std::error_code ec);
  void on_failure(std::string what);
  /// The request line and headers of this subscriber's next HTTP request (SSE or poll).
  void build_request(std::string& out);
  /// One poll answer; the views are valid during the call only.
  struct PollAnswer {
    int status = 0;
    std::string_view body;
    std::string_view etag, last_modified;  // Nchan's long-poll position (read for Nchan only)
    bool keep_alive = true;                // false: the server closes after this answer
  };
  /// A poll answer arrived; schedules the next poll (on a new connection when the server
  /// closes this one).
  void on_poll_body(const PollAnswer& answer, uint64_t now_ns);
  /// Sends the first echo message (ws-echo runs; posted when every connection is ready).
  void start_echo();
  /// A WebSocket text message arrived (herald push / reply, Nchan message, echo).
  void on_ws_message(std::string_view msg, uint64_t now_ns);
  /// An SSE event arrived.
  void on_sse_event(std::string_view event, std::string_view data, std::string_view id,
                    uint64_t now_ns);
  /// The WebSocket handshake completed.
  void on_ws_open(net::Connection& c, uint64_t now_ns);
  /// UDP: a publication too large for a datagram was announced; fetches it over HTTP
  /// (GET /poll?channel=C&since=EPOCH:OFFSET-1 on this subscriber's HTTP connection).
  void fetch_announced(std::string_view epoch, uint64_t offset);
  /// UDP: publishes the contiguous prefix delivered so far as `highest`.
  void udp_progress();
  /// UDP: the datagram session's figures (nullptr for the other transports).
  const UdpSub* udp() const { return udp_.get(); }

  const SeqTracker& tracker() const { return tracker_; }
  int channel() const { return channel_; }
  bool ever_ready() const { return ever_ready_; }
  bool gave_up() const { return gave_up_; }
  net::Connection* conn() const { return conn_; }
  /// The offset this subscriber has everything up to, as far as the runner's drain knows (the
  /// highest delivered on ordered transports; over UDP the contiguous prefix, since gap fills
  /// and announced publications come after later offsets).
  std::atomic<uint64_t> highest{0};

 private:
  void send_echo(net::Connection& c);
  void send_poll();
  void schedule_reconnect(uint64_t delay_ms);
  /// A recovered:false answer moved this subscriber from cursor `from` to `to` ("E:N"): the
  /// messages in between are gone for it; counts them.
  void count_skipped(std::string_view from, std::string_view to);
  void send_fetch();

  Worker& w_;
  int index_;
  int channel_;
  SeqTracker tracker_;
  net::Connection* conn_ = nullptr;
  bool ever_ready_ = false;
  bool gave_up_ = false;
  bool stopped_ = false;
  bool has_cursor_ = false;
  std::string epoch_;  // herald WebSocket cursor: epoch_ + ":" + offset_
  uint64_t offset_ = 0;
  std::string cursor_;                // SSE last id / poll cursor
  std::string etag_, last_modified_;  // Nchan long-poll position
  uint64_t connect_start_ns_ = 0;
  uint64_t poll_sent_ns_ = 0;  // when the current short poll was sent (polls keep a period)
  uint64_t echo_sent_ns_ = 0;
  int failures_ = 0;
  loop::Timer timer_;
  loop::Timer churn_timer_;
  std::unique_ptr<UdpSub> udp_;  // --transport udp: the datagram session
  /// UDP: announced publications to fetch over HTTP ("E", offset), the first one in flight
  /// when fetch_inflight_.
  std::deque<std::pair<std::string, uint64_t>> fetches_;
  bool fetch_inflight_ = false;
};

/// One publisher connection.
class PubState {
 public:
  PubState(Worker& w, int index);
  ~PubState();
  void connect();
  /// Begins publishing (posted by the runner when every subscriber is ready).
  void start();
  void shutdown();

  void on_open(net::Connection& c);
  /// One response (HTTP) or reply (WebSocket) arrived; `body` is its body / frame.
  void on_response(int status, std::string_view body);
  void on_ws_message(std::string_view msg, uint64_t now_ns) { on_response(200, msg); }
  void on_closed(net::Connection& c, std::error_code ec);
  bool done() const { return done_; }
  net::Connection* conn() const { return conn_; }

 private:
  class Pacer;
  void pump(uint64_t due);
  bool claim(int* channel, uint64_t* seq);
  void send_one(int channel, uint64_t seq);
  void finish();

  Worker& w_;
  [[maybe_unused]] int index_;
  net::Connection* conn_ = nullptr;
  bool open_ = false;
  bool publishing_ = false;
  bool exhausted_ = false;
  bool done_ = false;
  int inflight_ = 0;
  uint64_t backlog_ = 0;  // paced publishes due but not sent (pipeline full)
  uint64_t next_id_ = 1;
  struct Pending {
    int channel;
    uint64_t seq;
  };
  std::vector<Pending> pending_;  // publishes in flight, in send order
  size_t pending_head_ = 0;
  std::string buf_;
  std::string body_;
  std::unique_ptr<Pacer> pacer_;
};

class Worker {
 public:
  Worker(Shared& shared, int index) : shared_(shared), index_(index), loop_(index) {}
  Shared& shared() { return shared_; }
  loop::Loop& loop() { return loop_; }
  Counters& counters() { return c_; }
  int index() const { return index_; }
  std::vector<std::unique_ptr<SubState>>& subs() { return subs_; }
  std::vector<std::unique_ptr<PubState>>& pubs() { return pubs_; }

  /// Starts a connection to the target with `handler`; nullptr (and an error counted) when the
  /// socket could not be created. A publisher's connection starts where RunEnv puts them.
  net::Connection* dial(std::unique_ptr<net::ConnectionHandler> handler, bool publisher = false);
  /// Closes every client gracefully, then stops the loop once all connections are gone or
  /// `max_ms` passed (what is left then is reset). Runs on the loop thread.
  void stop_when_closed(uint64_t max_ms);
  /// Socket bytes of every open connection, split into subscribers' and publishers'.
  void live_bytes(uint64_t* sub_in, uint64_t* sub_out, uint64_t* pub_in, uint64_t* pub_out);
  /// The batch UDP subscribers of this loop receive into (one loop thread: shared).
  net::RecvBatch& udp_rx();
  uint32_t next_mask() {
    mask_ ^= mask_ << 13;
    mask_ ^= mask_ >> 17;
    mask_ ^= mask_ << 5;
    return mask_;
  }

 private:
  Shared& shared_;
  int index_;
  loop::Loop loop_;
  Counters c_;
  uint32_t mask_ = 0x9e3779b9u;
  std::vector<std::unique_ptr<SubState>> subs_;
  std::vector<std::unique_ptr<PubState>> pubs_;
  std::unique_ptr<net::RecvBatch> udp_rx_;
  loop::Timer stop_timer_;
  uint64_t stop_deadline_ms_ = 0;
};

/// Connection handlers (clients.cpp).
std::unique_ptr<net::ConnectionHandler> make_ws_handler(Worker& w, SubState* sub, PubState* pub,
                                                        std::string path, bool herald_protocol);
std::unique_ptr<net::ConnectionHandler> make_http_sub_handler(Worker& w, SubState& sub,
                                                              bool streaming);
std::unique_ptr<net::ConnectionHandler> make_http_pub_handler(Worker& w, PubState& pub);

}  // namespace herald::bench
