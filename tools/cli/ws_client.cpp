#include "tools/cli/ws_client.h"

#include <cstring>
#include <random>

#include "base/shared_buffer.h"
#include "ws_codec/frame.h"

namespace herald::cli {

namespace {
ws::WsLimits client_limits(size_t max_message) {
  ws::WsLimits l;
  l.role = ws::Role::client;
  l.max_message = max_message;
  return l;
}
}  // namespace

WsClient::WsClient(loop::Loop& loop, Callbacks callbacks, size_t max_message)
    : loop_(loop),
      cb_(std::move(callbacks)),
      socket_(loop, *this),
      reader_(client_limits(max_message)) {
  // Masking keys only need to be unpredictable to scripts in a browser that could aim a frame
  // at a proxy (RFC 6455 §10.3); a seeded xorshift is enough for a command-line client and
  // keeps a send free of a system call.
  std::random_device rd;
  rng_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9E3779B97F4A7C15ull;
}

WsClient::~WsClient() = default;

std::error_code WsClient::connect(const net::Address& addr, std::string_view authority,
                                  std::string_view path, std::string_view protocols) {
  parser_.reset();
  reader_.reset();
  protocol_.clear();
  if (std::error_code ec = socket_.connect(addr)) {
    state_ = State::closed;
    return ec;
  }
  state_ = State::handshake;
  key_ = ws::generate_key();
  offered_ = std::string(protocols);
  socket_.conn()->send(ws::build_upgrade_request(authority, path, key_, offered_));
  return {};
}

void WsClient::next_mask(uint8_t key[4]) {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  uint32_t v = static_cast<uint32_t>(rng_);
  std::memcpy(key, &v, 4);
}

void WsClient::send_frame(ws::Opcode op, std::string_view payload) {
  net::Connection* c = socket_.conn();
  if (!c || (state_ != State::open && state_ != State::handshake)) return;
  uint8_t key[4];
  next_mask(key);
  char head[ws::kMaxFrameHeader];
  size_t n = ws::client_frame_header(op, payload.size(), true, key, head);
  char* p = nullptr;
  base::SharedBuffer buf = base::SharedBuffer::allocate(n + payload.size(), &p);
  std::memcpy(p, head, n);
  if (!payload.empty()) {
    std::memcpy(p + n, payload.data(), payload.size());
    ws::apply_mask(p + n, payload.size(), key);
  }
  c->send(std::move(buf));
}

void WsClient::send_text(std::string_view text) {
  send_frame(ws::Opcode::text, text);
}

void WsClient::send_ping(std::string_view data) {
  send_frame(ws::Opcode::ping, data.substr(0, ws::kMaxControlPayload));
}

void WsClient::close(uint16_t code, std::string_view reason) {
  if (state_ == State::open) {
    send_frame(ws::Opcode::close, ws::close_payload(code, reason));
    state_ = State::closing;
    close_timer_.start(loop_.timers(), kCloseTimeoutMs, [this] {
      socket_.abort();
      report_close(ws::close_code::kAbnormal, "no answer to the close frame");
    });
    return;
  }
  if (state_ == State::handshake) {
    socket_.abort();
    report_close(ws::close_code::kAbnormal, "closed during the handshake");
  }
}

void WsClient::report_close(uint16_t code, std::string_view reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  close_timer_.stop();
  if (cb_.on_close) cb_.on_close(code, reason);
}

void WsClient::fail(uint16_t code, std::string_view reason) {
  socket_.abort();
  report_close(code, reason);
}

void WsClient::on_data(net::Connection& conn) {
  if (state_ == State::handshake && !finish_handshake(conn)) return;
  if (state_ == State::open || state_ == State::closing) read_frames(conn);
}

bool WsClient::finish_handshake(net::Connection& conn) {
  std::string_view in = conn.input().readable();
  http::ResponseParseResult r = parser_.parse(in);
  if (r.status == http::ResponseStatus::need_more) return false;
  if (r.status == http::ResponseStatus::error) {
    fail(ws::close_code::kAbnormal, std::string("bad handshake response: ") + r.error_reason);
    return false;
  }
  const http::Response& res = parser_.response();
  ws::UpgradeResponse up;
  up.status = res.status;
  up.upgrade = res.header("upgrade");
  up.connection = res.header("connection");
  up.accept = res.header("sec-websocket-accept");
  up.protocol = res.header("sec-websocket-protocol");
  std::string_view wrong = ws::verify_upgrade_response(up, key_, offered_);
  if (!wrong.empty()) {
    std::string why;
    if (res.status != 101) {
      why = "HTTP " + std::to_string(res.status) + ": ";
      std::string_view body = res.body;
      while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
      why.append(body.empty() ? res.reason : body);
    } else {
      why = "handshake refused: ";
      why.append(wrong);
    }
    fail(ws::close_code::kAbnormal, why);
    return false;
  }
  protocol_ = std::string(up.protocol);
  conn.consume(r.consumed);
  state_ = State::open;
  if (cb_.on_open) cb_.on_open();
  return state_ == State::open && socket_.conn() == &conn;
}

void WsClient::read_frames(net::Connection& conn) {
  events_.clear();
  size_t used = reader_.feed(conn.input().readable(), events_);
  conn.consume(used);
  for (ws::WsEvent& e : events_) {
    if (state_ != State::open && state_ != State::closing) return;
    switch (e.kind) {
      case ws::WsEvent::text:
        ++messages_in_;
        if (state_ == State::open && cb_.on_text) cb_.on_text(e.payload);
        break;
      case ws::WsEvent::binary:
        ++messages_in_;
        if (state_ == State::open && cb_.on_binary) cb_.on_binary(e.payload);
        break;
      case ws::WsEvent::ping:
        send_frame(ws::Opcode::pong, e.payload);
        break;
      case ws::WsEvent::pong:
        break;
      case ws::WsEvent::close: {
        if (state_ == State::open) {
          // Echo the code (RFC 6455 §5.5.1), then let the server close the TCP connection;
          // our graceful close writes the frame before the FIN.
          uint16_t echo =
              e.close_code == ws::close_code::kNoStatus ? ws::close_code::kNoStatus : e.close_code;
          send_frame(ws::Opcode::close, ws::close_payload(echo, {}));
        }
        socket_.close();
        report_close(e.close_code, e.payload);
        return;
      }
      case ws::WsEvent::error:
        if (state_ == State::open)
          send_frame(ws::Opcode::close, ws::close_payload(e.close_code, e.payload));
        socket_.close();
        report_close(e.close_code, e.payload);
        return;
    }
  }
}

void WsClient::on_eof(net::Connection& conn) {
  socket_.close();
  report_close(ws::close_code::kAbnormal, state_ == State::handshake
                                              ? "connection closed during the handshake"
                                              : "connection closed without a close frame");
}

void WsClient::on_closed(std::error_code ec) {
  report_close(ws::close_code::kAbnormal, ec ? ec.message() : std::string("connection closed"));
}

}  // namespace herald::cli
