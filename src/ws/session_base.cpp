#include "ws/session_base.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "ws_codec/frame.h"

namespace herald::ws {

namespace {

// Compressed output of the message being sent; one per loop thread, reused.
std::string& compress_scratch() {
  thread_local std::string scratch;
  return scratch;
}

// Why a connection that we close with `code` ends: every close decision passes a code, so the
// code is the one place the reason is read from (docs/protocol.md lists them).
access::CloseReason reason_of_close_code(uint16_t code) {
  switch (code) {
    case app_close::kShutdown:
      return access::CloseReason::drain;
    case app_close::kSlowConsumer:
      return access::CloseReason::slow_consumer;
    case app_close::kNoPong:
      return access::CloseReason::heartbeat_timeout;
    default:
      break;
  }
  for (access::Outcome o : {access::Outcome::token_expired, access::Outcome::disconnected,
                            access::Outcome::disconnected_final, access::Outcome::unauthorized,
                            access::Outcome::forbidden, access::Outcome::limit_reached,
                            access::Outcome::unavailable, access::Outcome::hook_unavailable}) {
    if (access::answer(o).ws_close == code) return access::close_reason_of(o);
  }
  // 1002, 1003, 1007, 1009...: RFC 6455 codes we send only for a client's fault.
  return code < 4000 ? access::CloseReason::protocol_error : access::CloseReason::server_closed;
}

}  // namespace

base::SharedBuffer make_frame(Opcode op, std::string_view payload, bool rsv1) {
  char header[kMaxFrameHeader];
  size_t hlen = frame_header(op, payload.size(), true, header, rsv1);
  char* out = nullptr;
  base::SharedBuffer buf = base::SharedBuffer::allocate(hlen + payload.size(), &out);
  std::memcpy(out, header, hlen);
  if (!payload.empty()) std::memcpy(out + hlen, payload.data(), payload.size());
  return buf;
}

base::SharedBuffer make_data_frame(Opcode op, std::string_view payload,
                                   const DeflateParams& deflate) {
  std::string& z = compress_scratch();
  if (deflate.enabled && compress_message(payload, deflate.server_max_window_bits, z))
    return make_frame(op, z, true);
  return make_frame(op, payload);
}

WsSessionBase::WsSessionBase(http::Context& ctx, net::Connection& conn, base::Transport transport,
                             WsLimits limits, DeflateParams deflate)
    : ctx_(ctx),
      conn_(conn),
      max_message_(static_cast<uint32_t>(std::min<size_t>(limits.max_message, UINT32_MAX))),
      transport_(transport),
      deflate_(deflate),
      role_(limits.role) {
  ++ctx_.metrics->connections_open[static_cast<int>(transport_)];
  counted_ = true;
  last_rx_ms_ = static_cast<uint32_t>(ctx_.loop->now_ms());
  conn_.set_output_limit(ctx_.settings->max_output_bytes);
  arm_keepalive();
}

WsSessionBase::~WsSessionBase() {
  ctx_.loop->timers().cancel(*this);
  if (counted_) --ctx_.metrics->connections_open[static_cast<int>(transport_)];
}

WsSessionBase::ReadState& WsSessionBase::read_state() {
  if (!read_) read_ = std::make_unique<ReadState>();
  return *read_;
}

void WsSessionBase::release_read_state() {
  if (read_ && !read_->reader && !read_->inflater) read_.reset();
}

WsLimits WsSessionBase::reader_limits() const {
  WsLimits l;
  l.role = role_;
  l.max_message = max_message_;
  l.allow_rsv1 = deflate_.enabled;
  return l;
}

void WsSessionBase::arm_keepalive() {
  uint32_t interval = ctx_.settings->ws_ping_interval_ms;
  if (interval == 0) return;  // keepalive disabled
  set_due(interval);
}

void WsSessionBase::arm_close_deadline() {
  set_due(kCloseTimeoutMs);
}

void WsSessionBase::set_due(uint64_t delay_ms) {
  due_ms_ = static_cast<uint32_t>(ctx_.loop->now_ms() + delay_ms);
  due_set_ = true;
  rearm();
}

void WsSessionBase::rearm() {
  uint64_t delay = UINT64_MAX;
  if (due_set_) {
    auto left = static_cast<int32_t>(due_ms_ - static_cast<uint32_t>(ctx_.loop->now_ms()));
    delay = left > 0 ? uint64_t(left) : 0;
  }
  if (!closing_) {
    if (int64_t t = ms_until_deadline(); t >= 0) delay = std::min(delay, uint64_t(t));
  }
  if (delay == UINT64_MAX) {
    ctx_.loop->timers().cancel(*this);
  } else {
    ctx_.loop->timers().arm(*this, delay);
  }
}

void WsSessionBase::on_timer() {
  auto now = static_cast<uint32_t>(ctx_.loop->now_ms());
  if (due_set_ && static_cast<int32_t>(now - due_ms_) >= 0) {
    due_set_ = false;
    on_due();
  }
  if (!closing_ && ms_until_deadline() == 0) on_deadline();
  rearm();
}

// Keepalive: the session's own deadline passes every ping interval; when the peer sent
// nothing for a whole interval it gets a ping and the deadline becomes the pong deadline. A
// peer that keeps talking is never pinged (its traffic proves it alive), so a busy connection
// costs one re-arm per interval, not one ping. Once closing, the deadline is the close
// deadline.
void WsSessionBase::on_due() {
  if (closing_) {
    if (!conn_.closed()) conn_.abort();
    return;
  }
  const base::Settings& s = *ctx_.settings;
  if (awaiting_pong_) {
    close_with(app_close::kNoPong, "no pong");
    return;
  }
  uint32_t idle = static_cast<uint32_t>(ctx_.loop->now_ms()) - last_rx_ms_;
  if (s.ws_ping_interval_ms == 0) return;
  if (idle < s.ws_ping_interval_ms) {
    set_due(s.ws_ping_interval_ms - idle);
    return;
  }
  send_frame(Opcode::ping, {});
  awaiting_pong_ = true;
  set_due(s.ws_pong_timeout_ms ? s.ws_pong_timeout_ms : s.ws_ping_interval_ms);
}

void WsSessionBase::send_frame(Opcode op, std::string_view payload) {
  if (closing_) return;
  bool rsv1 = false;
  std::string& z = compress_scratch();
  if (deflate_.enabled && !is_control(op) &&
      compress_message(payload, deflate_.server_max_window_bits, z)) {
    payload = z;
    rsv1 = true;
  }
  char header[kMaxFrameHeader];
  size_t hlen = frame_header(op, payload.size(), true, header, rsv1);
  if (payload.size() <= 1024) {
    // Small frames (replies, control frames): one copy into the connection's queue.
    std::string frame(header, hlen);
    frame.append(payload);
    conn_.send(frame);
  } else {
    conn_.send(make_frame(op, payload, rsv1));
  }
}

// Why the close codes: RFC 7692 names none for a message that does not inflate; its data is
// not what the message type (a compressed message) says it is, which is 1007 in RFC 6455
// §7.4.1 (Node's ws answers the same). Past the limit is 1009, as for an uncompressed message.
bool WsSessionBase::inflate_message(WsEvent& e) {
  Inflater* inflater = nullptr;
  if (deflate_.client_no_context_takeover) {
    inflater = &loop_inflater();
  } else {
    ReadState& st = read_state();
    if (!st.inflater)
      st.inflater = std::make_unique<Inflater>(deflate_.client_max_window_bits, false);
    inflater = st.inflater.get();
  }
  std::string out;
  switch (inflater->inflate(e.payload, ctx_.settings->ws_max_message, out)) {
    case InflateStatus::ok:
      break;
    case InflateStatus::too_big:
      ++ctx_.metrics->ws_closes_protocol;
      close_with(close_code::kTooBig, "message too big");
      return false;
    case InflateStatus::bad_data:
      ++ctx_.metrics->ws_closes_protocol;
      close_with(close_code::kInvalidPayload, "invalid compressed data");
      return false;
  }
  if (e.kind == WsEvent::text && !is_valid_utf8(out)) {
    ++ctx_.metrics->ws_closes_protocol;
    close_with(close_code::kInvalidPayload, "invalid UTF-8 in text message");
    return false;
  }
  e.payload = std::move(out);
  e.compressed = false;
  return true;
}

void WsSessionBase::close_with(uint16_t code, std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = reason_of_close_code(code);
  conn_.send(encode_close(code, reason));
  conn_.close();
  // A peer that does not read would keep the connection draining forever.
  arm_close_deadline();
}

void WsSessionBase::on_data(net::Connection& conn) {
  std::string_view in = conn.input().readable();
  if (closing_) {
    conn.consume(in.size());
    return;
  }
  last_rx_ms_ = static_cast<uint32_t>(ctx_.loop->now_ms());
  // Local, not a member: an idle session keeps no event vector (memory per idle connection).
  std::vector<WsEvent> events;
  if (read_ && read_->reader) {
    read_->reader->feed(in, events);
    if (read_->reader->idle()) {
      read_->reader.reset();
      release_read_state();
    }
  } else {
    // An idle reader has no state, so a fresh one carries on exactly as a kept one would.
    WsReader reader(reader_limits());
    reader.feed(in, events);
    if (!reader.idle() && !reader.failed()) read_state().reader.emplace(std::move(reader));
  }
  // After an error the rest of the input is meaningless: the connection is being failed.
  conn.consume(in.size());
  for (WsEvent& e : events) {
    if (closing_) break;
    switch (e.kind) {
      case WsEvent::text:
      case WsEvent::binary:
        if (e.compressed && !inflate_message(e)) break;
        ++ctx_.metrics->messages_in;
        on_message(e);
        break;
      case WsEvent::ping:
        send_frame(Opcode::pong, e.payload);
        break;
      case WsEvent::pong:
        awaiting_pong_ = false;
        break;
      case WsEvent::close:
        // RFC 6455 §5.5.1: answer with a close frame echoing the status code (none when the
        // peer sent none), then the server closes the TCP connection first (§7.1.1).
        if (!closing_) {
          closing_ = true;
          close_reason_ = access::CloseReason::client_closed;
          conn_.send(encode_close(e.close_code, {}));
          conn_.close();
          arm_close_deadline();
        }
        break;
      case WsEvent::error:
        ++ctx_.metrics->ws_closes_protocol;
        close_with(e.close_code, e.payload);
        break;
    }
  }
}

void WsSessionBase::on_output_overflow(net::Connection&) {
  if (!closing_) on_slow_consumer();
}

void WsSessionBase::on_slow_consumer() {
  if (closing_) return;
  ++ctx_.metrics->slow_consumer_evictions;
  HLOG_DEBUG("ws: slow consumer evicted (%zu bytes pending)", conn_.pending_bytes());
  // A client that was merely behind reads through the queue, gets 4008 and resumes by cursor.
  close_with(app_close::kSlowConsumer, "slow consumer");
}

void WsSessionBase::on_close(net::Connection&, std::error_code) {
  closing_ = true;
  due_set_ = false;
  ctx_.loop->timers().cancel(*this);
  on_closed();
}

}  // namespace herald::ws
