#include "http/session.h"

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "http_codec/query.h"
#include "proto/json.h"

namespace herald::http {

namespace {
// Wire bytes a chunked request may spend on framing beyond max_header_bytes + max_body.
// Must stay below the slack the worker adds to the connection's input limit (4096).
constexpr size_t kChunkFramingSlack = 2048;

// The held-request table of this loop's thread: HeldRef{slot, generation} names entry `slot`
// while its generation matches. Each held request takes a slot (so a ref answers its own
// request, not whatever the session handles later) and frees it when answered or aborted;
// freeing bumps the generation, so callbacks still in flight resolve to nullptr. Slots are
// reused, so a keep-alive publisher cycles through a few of them.
struct HeldSlot {
  HttpSession* session = nullptr;
  uint32_t generation = 0;
  uint32_t pos = 0;  // the request's entry in the session's ring
};
struct HeldTable {
  std::vector<HeldSlot> slots;
  std::vector<uint32_t> free;
};
thread_local HeldTable t_held;

// The serialised response, reused across responses on this thread (send() copies it).
thread_local std::string t_response;

ParserLimits limits_of(const base::Settings& s) {
  ParserLimits l;
  l.max_request_line = s.max_request_line;
  l.max_header_bytes = s.max_header_bytes;
  l.max_header_count = s.max_header_count;
  l.max_body = s.max_body;
  return l;
}
}  // namespace

HttpSession::HttpSession(Context& ctx, RequestHandler& handler, net::Connection& conn)
    : ctx_(ctx), handler_(handler), conn_(conn), parser_(limits_of(*ctx.settings)) {}

HttpSession::~HttpSession() {
  // Normally on_close already dropped them; a session replaced by take_over has none.
  for (Outstanding& e : ring_) {
    if (e.held) release_slot(e.slot);
  }
}

std::string RequestHandler::client_address(HttpSession& session, const Request&) {
  return session.peer().to_string();
}

void log_access(const AccessRecord& r, int status, size_t bytes) {
  uint64_t us = (base::monotonic_ns() - r.start_ns) / 1000;
  base::log_access({{"remote", r.remote},
                    {"method", r.method},
                    {"path", r.target},
                    {"status", status},
                    {"bytes", bytes},
                    base::LogField::millis("duration_ms", us),
                    {"user_agent", r.user_agent}});
}

bool RequestHandler::may_take_over(const Request& req) {
  bool found = false;
  req.header("upgrade", &found);
  return found;
}

void HttpSession::release_slot(uint32_t slot) {
  HeldSlot& e = t_held.slots[slot];
  e.session = nullptr;
  ++e.generation;
  t_held.free.push_back(slot);
}

HttpSession* HttpSession::resolve(HeldRef ref) {
  if (ref.slot >= t_held.slots.size()) return nullptr;
  const HeldSlot& e = t_held.slots[ref.slot];
  return e.generation == ref.generation ? e.session : nullptr;
}

void HttpSession::start() {
  arm_idle_timer();
}

void HttpSession::arm_idle_timer() {
  // One timer serves both limits: while no request is in progress it is the keep-alive idle
  // timeout (close silently); once bytes of a request arrive it becomes the header-read
  // timeout (408), restarted only when a new request begins, so a client trickling one byte at
  // a time (slowloris) cannot keep the connection forever. A connection waiting for its own
  // held responses is not idle.
  timer_.start(ctx_.loop->timers(), ctx_.settings->keepalive_timeout_ms, [this] {
    if (outstanding_ > 0 || taken_over_) return;
    conn_.close();
  });
}

void HttpSession::on_data(net::Connection&) {
  if (taken_over_ || stopped_) return;
  process();
}

void HttpSession::process() {
  while (!taken_over_ && !stopped_ && !conn_.closing()) {
    if (deferred_) {
      conn_.pause_reading();
      return;
    }
    // Bounded pipelining: past this many unanswered requests (or queued response bytes),
    // leave the rest in the socket until answers go out.
    if (!room()) {
      conn_.pause_reading();
      return;
    }
    std::string_view in = conn_.input().readable();
    if (in.empty()) return;
    if (!in_request_) {
      in_request_ = true;
      cur_.access.reset();  // a parse error now is about this request, not the last one
      timer_.start(ctx_.loop->timers(), ctx_.settings->header_timeout_ms, [this] {
        if (taken_over_ || stopped_) return;
        fail(408, "request timeout");
      });
    }
    ParseResult r = parser_.parse(in);
    if (r.status == ParseStatus::need_more) {
      // A client that sent "Expect: 100-continue" waits for this before sending its body.
      // The interim response must follow every earlier response: wait for them first.
      if (!continue_sent_ && parser_.expects_continue(in)) {
        if (outstanding_ > 0) {
          conn_.pause_reading();
          return;
        }
        continue_sent_ = true;
        conn_.send(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      // The parser keeps a whole request in the connection's input until it is complete, and
      // the connection resets (no response) when that input is full. A Content-Length request
      // within the limits always fits; a chunked one may not, since chunk-size lines and
      // extensions cost wire bytes beyond max_body. Answer 413 before the input fills: the
      // worker sizes it max_header_bytes + max_body + 4096, above this threshold.
      const base::Settings& s = *ctx_.settings;
      if (in.size() >= s.max_header_bytes + s.max_body + kChunkFramingSlack)
        fail(413, "request too large (chunk framing)");
      return;
    }
    if (r.status == ParseStatus::error) {
      fail(r.error_status, r.error_reason ? r.error_reason : "bad request");
      return;
    }
    // A complete request.
    in_request_ = false;
    continue_sent_ = false;
    timer_.stop();
    Request& req = parser_.request();
    if (outstanding_ > 0 && handler_.may_take_over(req)) {
      // It may write to the connection directly: dispatch it once the earlier responses are
      // out (flush_ready resumes reading and it is parsed again).
      parser_.reset();
      conn_.pause_reading();
      return;
    }
    if (!redispatching_) ++ctx_.metrics->http_requests;
    redispatching_ = false;
    responded_ = false;
    cur_ = Framing{};
    cur_.head = req.method == Method::head;
    cur_.keep_alive = req.keep_alive && !ctx_.draining;
    cur_.version_minor = req.version_minor;
    if (base::access_log_enabled()) {
      auto rec = std::make_shared<AccessRecord>();
      rec->remote = handler_.client_address(*this, req);
      rec->method = std::string(req.method_text);
      rec->target = redacted_target(req.path, req.query);
      rec->user_agent = std::string(req.header("user-agent"));
      rec->start_ns = base::monotonic_ns();
      cur_.access = std::move(rec);
    }
    cur_pos_ = kNone;
    handler_.handle(*this, req);
    if (deferred_ && !taken_over_) {
      // Set aside (defer): its bytes stay in the input until it is answered or dispatched
      // again; nothing after it is read meanwhile.
      deferred_bytes_ = r.consumed;
      parser_.reset();
      cur_pos_ = kNone;
      conn_.pause_reading();
      return;
    }
    // The request's views die here: handlers copy what a later response needs.
    conn_.consume(r.consumed);
    parser_.reset();
    if (taken_over_) {
      if (!conn_.input().empty() && conn_.handler() && !conn_.closing())
        conn_.handler()->on_data(conn_);
      return;
    }
    cur_pos_ = kNone;
    if (!responded_) {
      HLOG_ERROR("http: handler returned without a response for %.*s",
                 static_cast<int>(req.path.size()), req.path.data());
      respond_error(500, "internal error: no response");
    }
    if (conn_.closing()) return;
    if (!cur_.keep_alive || cur_.close_after || ctx_.draining) {
      // Its response (held or queued) will close the connection: nothing after it is read.
      stopped_ = true;
      conn_.pause_reading();
      return;
    }
    if (outstanding_ == 0) arm_idle_timer();
  }
}

void HttpSession::fail(int status, std::string_view reason) {
  // Not counted here: serialise() counts every response with status >= 400 once.
  std::string body = std::to_string(status);
  body += ' ';
  body += reason_phrase(status);
  body += ": ";
  body += reason;
  body += '\n';
  Framing f = cur_;
  f.head = false;
  f.keep_alive = false;
  if (!f.access && base::access_log_enabled()) {
    // The request never parsed: only its connection is known.
    auto rec = std::make_shared<AccessRecord>();
    rec->remote = conn_.peer().to_string();
    rec->method = "-";
    rec->target = "-";
    rec->start_ns = base::monotonic_ns();
    f.access = std::move(rec);
  }
  stopped_ = true;
  conn_.pause_reading();
  emit(f, status, "text/plain; charset=utf-8", body, {});
}

bool HttpSession::serialise(std::string& out, const Framing& f, int status,
                            std::string_view content_type, std::string_view body,
                            std::span<const Header> extra) {
  bool closing = !f.keep_alive || f.close_after || ctx_.draining;
  ResponseHead head;
  head.status = status;
  head.content_type = content_type;
  head.date = ctx_.date->value();
  head.connection = closing                ? ConnectionHeader::close
                    : f.version_minor == 0 ? ConnectionHeader::keep_alive
                                           : ConnectionHeader::none;
  head.headers = extra;
  out.clear();
  if (f.no_length)
    append_stream_head(out, head);
  else
    append_response(out, head, body, f.head);
  if (status >= 400) ++ctx_.metrics->http_errors;
  if (f.access) log_access(*f.access, status, out.size());
  return closing;
}

HttpSession::Outstanding& HttpSession::push() {
  if (outstanding_ == ring_.size()) {
    // Grow (4, 8, ... up to the limit + 1): a connection that never pipelines keeps a small
    // ring. Entries keep their order from 0; held ones learn their new position.
    size_t cap =
        std::min(std::max<size_t>(4, ring_.size() * 2), base::limits::kMaxPipelinedResponses + 1);
    std::vector<Outstanding> grown(std::max(cap, outstanding_ + 1));
    for (size_t i = 0; i < outstanding_; ++i) {
      Outstanding& e = ring_[(head_ + i) % ring_.size()];
      if (e.held) t_held.slots[e.slot].pos = static_cast<uint32_t>(i);
      if (cur_pos_ == (head_ + i) % ring_.size()) cur_pos_ = i;
      grown[i] = std::move(e);
    }
    ring_ = std::move(grown);
    head_ = 0;
  }
  size_t pos = (head_ + outstanding_) % ring_.size();
  ++outstanding_;
  return ring_[pos];
}

void HttpSession::emit(const Framing& f, int status, std::string_view content_type,
                       std::string_view body, std::span<const Header> extra) {
  if (conn_.closing()) return;
  if (outstanding_ == 0) {
    std::string& out = t_response;
    bool closes = serialise(out, f, status, content_type, body, extra);
    conn_.send(out);
    if (closes) conn_.close();
    return;
  }
  // An earlier response is held: this one waits, serialised (the request's views die soon).
  Outstanding& e = push();
  e.framing = f;
  e.closes = serialise(e.bytes, f, status, content_type, body, extra);
  e.ready = true;
  add_queued(e.bytes.size());
}

bool HttpSession::room() const {
  size_t limit = ctx_.settings->max_output_bytes;
  return outstanding_ < base::limits::kMaxPipelinedResponses &&
         (limit == 0 || queued_bytes_ < limit);
}

void HttpSession::add_queued(size_t bytes) {
  queued_bytes_ += bytes;
  // Past the output limit, process() reads no further requests; the answers still due can
  // add at most one response each. Far past it (the connection's hard cap), give up on this
  // client, as its slow-consumer limit would: close, and the outstanding requests abort.
  size_t limit = ctx_.settings->max_output_bytes;
  if (limit != 0 && queued_bytes_ > limit * net::Connection::kOutputHardCapFactor) {
    HLOG_WARN("http: %zu bytes of pipelined responses queued, closing", queued_bytes_);
    drop_outstanding();
    conn_.close();
  }
}

void HttpSession::respond(int status, std::string_view content_type, std::string_view body,
                          std::span<const Header> extra) {
  if (responded_) return;
  responded_ = true;
  emit(cur_, status, content_type, body, extra);
}

void HttpSession::respond_stream_head(int status, std::string_view content_type,
                                      std::span<const Header> extra) {
  cur_.no_length = cur_.head;
  respond(status, content_type, {}, extra);
}

void HttpSession::respond_json(int status, std::string_view json, std::span<const Header> extra) {
  respond(status, "application/json", json, extra);
}

namespace {
std::string error_body(int status, std::string_view message) {
  std::string body = "{\"error\":{\"code\":";
  body += std::to_string(status);
  body += ",\"message\":";
  proto::append_json_string(body, message);
  body += "}}";
  return body;
}
}  // namespace

void HttpSession::respond_error(int status, std::string_view message,
                                std::span<const Header> extra) {
  respond(status, "application/json", error_body(status, message), extra);
}

HeldRef HttpSession::hold(std::function<void()> on_abort) {
  if (responded_) return HeldRef{~0u, 0};  // a second answer to one request: resolves to nothing
  responded_ = true;
  Outstanding& e = push();
  size_t pos = (head_ + outstanding_ - 1) % ring_.size();
  e.framing = cur_;
  e.on_abort = std::move(on_abort);
  e.held = true;
  e.ready = false;
  if (t_held.free.empty()) {
    e.slot = static_cast<uint32_t>(t_held.slots.size());
    t_held.slots.emplace_back();
  } else {
    e.slot = t_held.free.back();
    t_held.free.pop_back();
  }
  HeldSlot& h = t_held.slots[e.slot];
  h.session = this;
  h.pos = static_cast<uint32_t>(pos);
  cur_pos_ = pos;
  return {e.slot, h.generation};
}

HeldRef HttpSession::defer(std::function<void()> on_abort) {
  HeldRef ref = hold(std::move(on_abort));
  if (resolve(ref) != this) return ref;
  deferred_ = true;
  deferred_pos_ = t_held.slots[ref.slot].pos;
  return ref;
}

void HttpSession::redispatch(HeldRef ref) {
  if (resolve(ref) != this || !deferred_ || t_held.slots[ref.slot].pos != deferred_pos_) return;
  // Forget its ring entry (the newest: nothing was dispatched after it), then parse it again.
  Outstanding& e = ring_[deferred_pos_];
  release_slot(e.slot);
  e.held = false;
  e.on_abort = nullptr;
  --outstanding_;
  deferred_ = false;
  deferred_pos_ = kNone;
  redispatching_ = true;
  // Reading resumes first: a handler that takes the connection over expects it on.
  conn_.resume_reading();
  process();
  redispatching_ = false;
}

void HttpSession::respond(HeldRef ref, int status, std::string_view content_type,
                          std::string_view body, std::span<const Header> extra) {
  if (resolve(ref) != this) return;
  answer(t_held.slots[ref.slot].pos, status, content_type, body, extra);
}

void HttpSession::respond_json(HeldRef ref, int status, std::string_view json,
                               std::span<const Header> extra) {
  respond(ref, status, "application/json", json, extra);
}

void HttpSession::respond_error(HeldRef ref, int status, std::string_view message,
                                std::span<const Header> extra) {
  respond(ref, status, "application/json", error_body(status, message), extra);
}

void HttpSession::answer(size_t pos, int status, std::string_view content_type,
                         std::string_view body, std::span<const Header> extra) {
  Outstanding& e = ring_[pos];
  release_slot(e.slot);
  e.held = false;
  e.on_abort = nullptr;
  if (deferred_ && pos == deferred_pos_) {
    // A set-aside request answered without a second dispatch: its bytes are done with.
    conn_.consume(deferred_bytes_);
    deferred_ = false;
    deferred_pos_ = kNone;
  }
  e.framing.close_after = e.framing.close_after || (pos == cur_pos_ && cur_.close_after);
  if (pos == head_) {
    // The oldest: straight out, no copy kept.
    std::string& out = t_response;
    bool closes = serialise(out, e.framing, status, content_type, body, extra);
    head_ = (head_ + 1) % ring_.size();
    --outstanding_;
    if (pos == cur_pos_) cur_pos_ = kNone;
    conn_.send(out);
    if (closes) {
      drop_outstanding();
      conn_.close();
      return;
    }
    flush_ready();
    return;
  }
  e.closes = serialise(e.bytes, e.framing, status, content_type, body, extra);
  e.ready = true;
  add_queued(e.bytes.size());
}

void HttpSession::flush_ready() {
  while (outstanding_ > 0 && ring_[head_].ready) {
    Outstanding& e = ring_[head_];
    conn_.send(e.bytes);
    queued_bytes_ -= e.bytes.size();
    bool closes = e.closes;
    e.ready = false;
    // Keep a small buffer for the next response; give a big one back.
    if (e.bytes.capacity() > 16 * 1024) std::string().swap(e.bytes);
    if (head_ == cur_pos_) cur_pos_ = kNone;
    head_ = (head_ + 1) % ring_.size();
    --outstanding_;
    if (closes) {
      drop_outstanding();
      conn_.close();
      return;
    }
  }
  if (taken_over_ || stopped_ || conn_.closing()) return;
  if (outstanding_ == 0 && !in_request_) arm_idle_timer();
  // Requests waiting in the input (limit reached, an upgrade, a 100-continue) go on.
  if (room() && !deferred_) conn_.resume_reading();
}

void HttpSession::drop_outstanding() {
  std::vector<std::function<void()>> aborts;
  for (; outstanding_ > 0; --outstanding_) {
    Outstanding& e = ring_[head_];
    if (e.held) {
      release_slot(e.slot);
      e.held = false;
      if (e.on_abort) aborts.push_back(std::move(e.on_abort));
    }
    e.on_abort = nullptr;
    e.ready = false;
    head_ = (head_ + 1) % ring_.size();
  }
  queued_bytes_ = 0;
  cur_pos_ = kNone;
  stopped_ = true;
  // After the bookkeeping: an abort may look at this session (holding() is false now).
  for (auto& fn : aborts) fn();
}

void HttpSession::take_over(std::unique_ptr<net::ConnectionHandler> next, int status,
                            size_t bytes) {
  if (status != 0 && cur_.access) log_access(*cur_.access, status, bytes);
  if (outstanding_ > 0) {
    // may_take_over() should have held this request back; earlier answers are lost now.
    HLOG_ERROR("http: take_over with %zu responses outstanding", outstanding_);
    drop_outstanding();
  }
  taken_over_ = true;
  responded_ = true;
  timer_.stop();
  conn_.replace_handler(std::move(next));
}

void HttpSession::on_close(net::Connection&, std::error_code) {
  timer_.stop();
  drop_outstanding();
}

}  // namespace herald::http
