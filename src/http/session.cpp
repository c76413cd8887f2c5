#include "http/session.h"

#include <string>
#include <vector>

#include "base/log.h"
#include "proto/json.h"

namespace herald::http {

namespace {
// Wire bytes a chunked request may spend on framing beyond max_header_bytes + max_body.
// Must stay below the slack the worker adds to the connection's input limit (4096).
constexpr size_t kChunkFramingSlack = 2048;

// The held-response table of this loop's thread: HeldRef{slot, generation} names entry
// `slot` while its generation matches. A session takes a slot at its first hold_ref() and keeps
// it until it closes (a keep-alive publisher reuses it for every request); closing bumps the
// generation, so callbacks still in flight resolve to nullptr. Slots are reused.
struct HeldSlot {
  HttpSession* session = nullptr;
  uint32_t generation = 0;
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

HttpSession::HttpSession(LoopContext& ctx, RequestHandler& handler, net::Connection& conn)
    : ctx_(ctx), handler_(handler), conn_(conn), parser_(limits_of(*ctx.settings)) {}

HttpSession::~HttpSession() {
  release_slot();
}

void HttpSession::release_slot() {
  if (!has_slot_) return;
  has_slot_ = false;
  HeldSlot& e = t_held.slots[slot_];
  e.session = nullptr;
  ++e.generation;
  t_held.free.push_back(slot_);
}

HeldRef HttpSession::hold_ref() {
  hold(nullptr);
  if (!has_slot_) {
    if (t_held.free.empty()) {
      slot_ = static_cast<uint32_t>(t_held.slots.size());
      t_held.slots.emplace_back();
    } else {
      slot_ = t_held.free.back();
      t_held.free.pop_back();
    }
    t_held.slots[slot_].session = this;
    has_slot_ = true;
  }
  return {slot_, t_held.slots[slot_].generation};
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
  // a time (slowloris) cannot keep the connection forever.
  timer_.start(ctx_.loop->timers(), ctx_.settings->keepalive_timeout_ms, [this] {
    if (holding_ || taken_over_) return;
    conn_.close();
  });
}

void HttpSession::on_data(net::Connection&) {
  if (holding_ || taken_over_) return;
  process();
}

void HttpSession::process() {
  while (!holding_ && !taken_over_ && !conn_.closing()) {
    std::string_view in = conn_.input().readable();
    if (in.empty()) return;
    if (!in_request_) {
      in_request_ = true;
      timer_.start(ctx_.loop->timers(), ctx_.settings->header_timeout_ms, [this] {
        if (holding_ || taken_over_) return;
        fail(408, "request timeout");
      });
    }
    ParseResult r = parser_.parse(in);
    if (r.status == ParseStatus::need_more) {
      // A client that sent "Expect: 100-continue" waits for this before sending its body.
      if (!continue_sent_ && parser_.expects_continue(in)) {
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
    ++ctx_.metrics->http_requests;
    Request& req = parser_.request();
    responded_ = false;
    close_after_ = false;
    head_request_ = req.method == Method::head;
    keep_alive_ = req.keep_alive && !ctx_.draining;
    version_minor_ = req.version_minor;
    handler_.handle(*this, req);
    // The request's views die here: handlers copy what a later response needs.
    conn_.consume(r.consumed);
    parser_.reset();
    if (taken_over_) {
      if (!conn_.input().empty() && conn_.handler() && !conn_.closing())
        conn_.handler()->on_data(conn_);
      return;
    }
    if (holding_) {
      conn_.pause_reading();
      return;
    }
    if (!responded_) {
      HLOG_ERROR("http: handler returned without a response for %.*s",
                 static_cast<int>(req.path.size()), req.path.data());
      respond_error(500, "internal error: no response");
    }
    if (conn_.closing()) return;
    arm_idle_timer();
  }
}

void HttpSession::fail(int status, std::string_view reason) {
  // Not counted here: respond() counts every response with status >= 400 once.
  head_request_ = false;
  keep_alive_ = false;
  responded_ = false;
  std::string body = std::to_string(status);
  body += ' ';
  body += reason_phrase(status);
  body += ": ";
  body += reason;
  body += '\n';
  respond(status, "text/plain; charset=utf-8", body);
}

void HttpSession::respond(int status, std::string_view content_type, std::string_view body,
                          std::span<const Header> extra) {
  if (responded_ || conn_.closed()) return;
  responded_ = true;
  bool closing = !keep_alive_ || close_after_ || ctx_.draining;
  ResponseHead head;
  head.status = status;
  head.content_type = content_type;
  head.date = ctx_.date->value();
  head.connection = closing               ? ConnectionHeader::close
                    : version_minor_ == 0 ? ConnectionHeader::keep_alive
                                          : ConnectionHeader::none;
  head.headers = extra;
  std::string& out = t_response;
  out.clear();
  append_response(out, head, body, head_request_);
  if (status >= 400) ++ctx_.metrics->http_errors;
  conn_.send(out);
  if (closing) {
    conn_.close();
    return;
  }
  if (holding_) finish_response();
}

void HttpSession::respond_json(int status, std::string_view json, std::span<const Header> extra) {
  respond(status, "application/json", json, extra);
}

void HttpSession::respond_error(int status, std::string_view message,
                                std::span<const Header> extra) {
  std::string body = "{\"error\":{\"code\":";
  body += std::to_string(status);
  body += ",\"message\":";
  proto::append_json_string(body, message);
  body += "}}";
  respond(status, "application/json", body, extra);
}

void HttpSession::hold(std::function<void()> on_abort) {
  holding_ = true;
  on_abort_ = std::move(on_abort);
  timer_.stop();
}

void HttpSession::finish_response() {
  // A held response went out: serve pipelined requests that waited, then idle.
  holding_ = false;
  on_abort_ = nullptr;
  arm_idle_timer();
  conn_.resume_reading();
}

void HttpSession::take_over(std::unique_ptr<net::ConnectionHandler> next) {
  taken_over_ = true;
  responded_ = true;
  timer_.stop();
  conn_.replace_handler(std::move(next));
}

void HttpSession::on_close(net::Connection&, std::error_code) {
  timer_.stop();
  release_slot();
  if (holding_ && on_abort_) {
    auto fn = std::move(on_abort_);
    holding_ = false;
    fn();
  }
}

}  // namespace herald::http
