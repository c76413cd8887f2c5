#pragma once
// HttpSession: HTTP/1.1 on one connection. Parses requests (pipelined, keep-alive), hands each
// complete one to a RequestHandler, and writes responses in request order. A handler answers
// at once (respond), later (hold, then respond(ref, ...): long-poll, asynchronous publish), or
// takes the connection over (WebSocket upgrade, SSE stream). Later pipelined requests are
// dispatched while earlier responses are held (up to limits::kMaxPipelinedResponses
// outstanding); a response that is ready before an earlier one waits, serialised, and leaves
// in order. Timeouts: header read (slowloris) -> 408 and close; idle keep-alive -> close.
// Parser errors get their status (400/413/414/431/501/505) and the connection is closed after
// the answer (and after every earlier one).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/slab_pool.h"
#include "http/context.h"
#include "http_codec/parser.h"
#include "loop/timer.h"
#include "net/connection.h"

namespace herald::http {

class HttpSession;

/// The address of one held request that stays safe to keep after its session is gone:
/// HttpSession::resolve() answers nullptr once the request was answered or its connection
/// closed. Eight trivially copyable bytes, so a callback that captures it fits in
/// std::function's inline storage (no allocation per request). Use it only on the loop that
/// made it.
struct HeldRef {
  uint32_t slot = 0;
  uint32_t generation = 0;
};
static_assert(sizeof(HeldRef) == 8, "captured by value in per-request callbacks");

/// What the access log says about one request besides its answer (docs/operations.md,
/// "Access log"). Made only while the access log is on; shared by the request's framing and,
/// for a stream, by the session that takes the connection over and writes the head itself.
struct AccessRecord {
  std::string remote;  // the real client address (RequestHandler::client_address)
  std::string method;
  std::string target;      // path and query, credentials redacted (http::redacted_target)
  std::string user_agent;  // "" when none
  uint64_t start_ns = 0;   // monotonic, when the request was complete
};

/// Writes the access line of `r`: its answer's status and size in bytes.
void log_access(const AccessRecord& r, int status, size_t bytes);

/// Routes requests. `req` and its views are valid only during the call: copy what a held
/// response needs.
class RequestHandler {
 public:
  virtual void handle(HttpSession& session, Request& req) = 0;
  /// Whether handling `req` may take the connection over or write to it directly (WebSocket
  /// upgrade, SSE). Such a request waits until every earlier response is written. Default: it
  /// carries an Upgrade header.
  virtual bool may_take_over(const Request& req);
  /// The client's address for the access log: the connection's peer by default; a handler
  /// that knows the trusted proxies says whom they forward for.
  virtual std::string client_address(HttpSession& session, const Request& req);

 protected:
  ~RequestHandler() = default;
};

// Sessions come from the loop thread's base::SlabPool, not malloc's heap: one lives only until
// its connection upgrades (or goes idle and closes), and after a connect storm the freed ones
// would be holes between the connections' long-lived objects (docs/benchmarks.md §5).
class HttpSession final : public net::ConnectionHandler, public base::SlabAllocated<HttpSession> {
 public:
  HttpSession(Context& ctx, RequestHandler& handler, net::Connection& conn);
  ~HttpSession() override;

  /// Starts the keep-alive/header timer; call once after the connection starts.
  void start();

  // --- answering ---------------------------------------------------------------------------
  /// Answers the request being handled (status line, Date, Content-Length...). Written now,
  /// or kept until every earlier pipelined response is out.
  void respond(int status, std::string_view content_type, std::string_view body,
               std::span<const Header> extra = {});
  /// A JSON body with Content-Type application/json.
  void respond_json(int status, std::string_view json, std::span<const Header> extra = {});
  /// `{"error":{"code":STATUS,"message":"..."}}` (the HTTP API's error shape).
  void respond_error(int status, std::string_view message, std::span<const Header> extra = {});
  /// Answers a HEAD request on a streaming route (SSE) with the head a GET would get, without
  /// Content-Length (the GET's body is a stream of unknown length) and without a body; the
  /// connection stays open for the next request (RFC 9110 §9.3.2).
  void respond_stream_head(int status, std::string_view content_type,
                           std::span<const Header> extra = {});
  /// The response to the request being handled comes later, through respond(ref, ...) with the
  /// returned ref (exactly once). Later pipelined requests are still served meanwhile; their
  /// responses wait for this one. `on_abort` runs if the connection closes first.
  HeldRef hold(std::function<void()> on_abort = nullptr);
  /// Answers the held request `ref`; nothing if it was answered already or has been aborted.
  void respond(HeldRef ref, int status, std::string_view content_type, std::string_view body,
               std::span<const Header> extra = {});
  void respond_json(HeldRef ref, int status, std::string_view json,
                    std::span<const Header> extra = {});
  void respond_error(HeldRef ref, int status, std::string_view message,
                     std::span<const Header> extra = {});
  /// Sets the request being handled aside until something asynchronous (a backend hook) has
  /// decided how to serve it: nothing more is read or dispatched on this connection meanwhile.
  /// Later either respond(ref, ...) answers it (its bytes are then consumed and reading goes
  /// on), or redispatch(ref) parses the same bytes again and hands the request to the handler
  /// once more, inside the call, so it can be served as usual (even taken over). `on_abort`
  /// runs if the connection closes first; `ref` then resolves to nullptr.
  HeldRef defer(std::function<void()> on_abort = nullptr);
  /// Dispatches the request set aside by defer() again (see there); nothing if `ref` is stale.
  void redispatch(HeldRef ref);
  /// The session that holds `ref`, or nullptr once it was answered or its connection closed.
  static HttpSession* resolve(HeldRef ref);
  /// Some request of this connection is held (its response is due).
  bool holding() const { return outstanding_ > 0; }
  /// Requests dispatched whose responses are not written yet (held, or waiting behind one).
  size_t outstanding() const { return outstanding_; }
  /// Hands the connection to `next` (WebSocket, SSE). Bytes after the current request are left
  /// in the input for it. This session is deleted after the iteration. Only for a request
  /// the handler's may_take_over() admitted (no earlier response is outstanding then).
  /// `status` and `bytes` (101 and the handshake, for an upgrade whose answer is already
  /// queued) go to the access log now; status 0 leaves the line to the new handler
  /// (access_record()), which answers later.
  void take_over(std::unique_ptr<net::ConnectionHandler> next, int status = 0, size_t bytes = 0);
  /// The access-log record of the request being handled, or nullptr when the log is off.
  const std::shared_ptr<const AccessRecord>& access_record() const { return cur_.access; }
  /// Closes after the current response (e.g. an error that leaves the stream unusable).
  void close_after_response() { cur_.close_after = true; }

  net::Connection& connection() { return conn_; }
  Context& context() { return ctx_; }
  net::Address peer() const { return conn_.peer(); }

  // net::ConnectionHandler
  void on_data(net::Connection& conn) override;
  void on_close(net::Connection& conn, std::error_code ec) override;

 private:
  // How the response to one request is framed (from the request, and close_after_response).
  struct Framing {
    bool head = false;
    bool no_length = false;  // a HEAD answered as for a stream: no Content-Length
    bool keep_alive = true;
    bool close_after = false;
    int version_minor = 1;
    std::shared_ptr<const AccessRecord> access;  // only while the access log is on
  };
  // One dispatched request whose response is not written yet (a ring entry).
  struct Outstanding {
    std::string bytes;  // the serialised response, once ready
    std::function<void()> on_abort;
    Framing framing;
    uint32_t slot = 0;  // held-table slot while held
    bool held = false;
    bool ready = false;
    bool closes = false;  // the response ends the connection
  };
  static constexpr size_t kNone = ~size_t(0);

  void process();
  void fail(int status, std::string_view reason);
  /// Serialises a response framed by `f` into `out`; true when it closes the connection.
  bool serialise(std::string& out, const Framing& f, int status, std::string_view content_type,
                 std::string_view body, std::span<const Header> extra);
  /// Queues a response for the request being handled (or a parser/timeout error) behind the
  /// outstanding ones, or writes it now when none is outstanding.
  void emit(const Framing& f, int status, std::string_view content_type, std::string_view body,
            std::span<const Header> extra);
  /// Answers ring entry `pos` (held), then writes what became ready in order.
  void answer(size_t pos, int status, std::string_view content_type, std::string_view body,
              std::span<const Header> extra);
  Outstanding& push();
  /// Counts bytes of a response queued behind a held one; closes past the hard cap.
  void add_queued(size_t bytes);
  /// Another request may be dispatched (outstanding count and queued bytes under their limits).
  bool room() const;
  /// Writes ready responses from the oldest on; resumes reading when there is room again.
  void flush_ready();
  /// Forgets every outstanding request: their refs resolve to nullptr, their aborts run.
  void drop_outstanding();
  void arm_idle_timer();
  void release_slot(uint32_t slot);

  Context& ctx_;
  RequestHandler& handler_;
  net::Connection& conn_;
  RequestParser parser_;
  loop::Timer timer_;        // header-read timeout while a request arrives, idle otherwise
  bool in_request_ = false;  // bytes of a request seen, not complete yet
  bool responded_ = false;   // the request being handled has its response (or is held)
  bool taken_over_ = false;
  bool stopped_ = false;           // a closing request was dispatched: read nothing more
  bool continue_sent_ = false;     // the interim 100 of the current request went out
  bool deferred_ = false;          // a request is set aside (defer): read nothing meanwhile
  bool redispatching_ = false;     // the set-aside request is being dispatched again
  size_t deferred_pos_ = kNone;    // its ring entry
  size_t deferred_bytes_ = 0;      // its bytes at the front of the input
  Framing cur_;                    // the request being handled
  size_t cur_pos_ = kNone;         // its ring entry when it was held
  std::vector<Outstanding> ring_;  // grows to kMaxPipelinedResponses + 1 entries as needed
  size_t head_ = 0;                // oldest outstanding request
  size_t outstanding_ = 0;
  size_t queued_bytes_ = 0;  // serialised responses waiting behind a held one
};

}  // namespace herald::http
