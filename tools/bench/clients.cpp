// Connection handlers of the bench client: WebSocket (subscriber, publisher, echo), HTTP
// subscriber (SSE stream or poll), HTTP publisher. They frame bytes with the project's own
// codecs (http::ResponseParser, proto::SseParser, ws::FrameParser) and hand messages to their
// SubState / PubState; the per-message path takes one clock reading per read and reuses its
// buffers.
#include <cstring>

#include "base/time.h"
#include "engine.h"
#include "http_codec/response_parser.h"
#include "proto/sse_parser.h"
#include "ws_codec/frame.h"
#include "ws_codec/handshake.h"

namespace herald::bench {

namespace {

void send_ws_frame(Worker& w, net::Connection& c, ws::Opcode op, std::string_view payload) {
  uint32_t m = w.next_mask();
  uint8_t key[4];
  std::memcpy(key, &m, 4);
  c.send(ws::encode_client_frame(op, payload, key));
}

class WsHandler final : public net::ConnectionHandler {
 public:
  WsHandler(Worker& w, SubState* sub, PubState* pub, std::string path, bool herald)
      : w_(w),
        sub_(sub),
        pub_(pub),
        path_(std::move(path)),
        herald_(herald),
        parser_(ws::FrameParserOptions{ws::Role::client, kClientMaxInput, false}) {}

  void on_connected(net::Connection& c) override {
    key_ = ws::generate_key();
    const Shared& sh = w_.shared();
    c.send(ws::build_upgrade_request(sh.ep.host, path_, key_,
                                     herald_ ? ws::kHeraldProtocol : std::string_view{},
                                     sh.auth_header));
  }

  void on_data(net::Connection& c) override {
    uint64_t now = base::monotonic_ns();
    if (!open_) {
      // Streamed, so a refusal with a body is reported at its head; a 101 has no body.
      std::string_view in = c.input().readable();
      http::ResponseParseResult r = handshake_.parse(in, http::ResponseMode{false, true});
      if (r.status == http::ResponseStatus::need_more) return;
      std::string_view why;
      if (r.status == http::ResponseStatus::error) {
        why = "malformed handshake response";
      } else {
        const http::Response& res = handshake_.response();
        ws::UpgradeResponse u{res.status, res.header("upgrade"), res.header("connection"),
                              res.header("sec-websocket-accept"),
                              res.header("sec-websocket-protocol")};
        why = ws::verify_upgrade_response(u, key_, herald_ ? ws::kHeraldProtocol : "");
      }
      if (!why.empty()) return fail(c, "websocket handshake: " + std::string(why));
      c.consume(r.consumed);
      open_ = true;
      if (sub_) sub_->on_ws_open(c, now);
      if (pub_) pub_->on_open(c);
      if (c.closing()) return;
    }
    std::string_view in = c.input().readable();
    size_t used = 0;
    while (!c.closing()) {
      ws::ParseResult r = parser_.parse(in.substr(used), *sink_);
      used += r.consumed;
      if (r.status == ws::ParseStatus::need_more) break;
      if (r.status == ws::ParseStatus::error) return fail(c, "websocket protocol error");
      const ws::FrameHeader& h = parser_.header();
      if (r.status == ws::ParseStatus::header) {
        if (ws::is_control(h.opcode)) {
          ctrl_.clear();
          sink_ = &ctrl_;
        } else {
          if (h.opcode != ws::Opcode::continuation) msg_.clear();
          sink_ = &msg_;
        }
        continue;
      }
      // A frame is complete.
      if (h.opcode == ws::Opcode::ping) {
        send_ws_frame(w_, c, ws::Opcode::pong, ctrl_);
      } else if (h.opcode == ws::Opcode::close) {
        send_ws_frame(w_, c, ws::Opcode::close, std::string_view(ctrl_).substr(0, 2));
        c.consume(used);
        c.close();
        return;
      } else if (!ws::is_control(h.opcode) && h.fin) {
        if (sub_) sub_->on_ws_message(msg_, now);
        if (pub_) pub_->on_ws_message(msg_, now);
      }
      sink_ = &msg_;
    }
    if (!c.closed()) c.consume(used);
  }

  void on_close(net::Connection& c, std::error_code ec) override {
    const net::ConnectionStats& s = c.stats();
    Counters& k = w_.counters();
    if (sub_) {
      k.sub_in += s.bytes_in;
      k.sub_out += s.bytes_out;
      sub_->on_closed(c, ec);
    }
    if (pub_) {
      k.pub_in += s.bytes_in;
      k.pub_out += s.bytes_out;
      pub_->on_closed(c, ec);
    }
  }

 private:
  void fail(net::Connection& c, std::string what) {
    if (sub_) sub_->on_failure(std::move(what));
    if (pub_) w_.counters().error(std::move(what));
    c.abort();
  }

  Worker& w_;
  SubState* sub_;
  PubState* pub_;
  std::string path_;
  bool herald_;
  bool open_ = false;
  std::string key_;
  http::ResponseParser handshake_;
  ws::FrameParser parser_;
  std::string msg_;
  std::string ctrl_;
  std::string* sink_ = &msg_;
};

// HTTP/1.1 responses on one connection, read with http::ResponseParser: buffered (a poll
// answer, a publish reply: the whole body at once, up to kClientMaxInput) or streamed (an SSE
// body, endless: handed on as it is decoded, so nothing but a partial chunk line is kept).
class HttpResponses {
 public:
  enum class Step { need_more, head, stream_bytes, response, error };

  explicit HttpResponses(bool streaming)
      : parser_(http::ResponseLimits{base::limits::kMaxHeaderBytes, base::limits::kMaxHeaderCount,
                                     kClientMaxInput}),
        mode_{false, streaming} {}

  /// Parses what `c` holds and consumes what the parser used, except for a complete response
  /// (see response_bytes()); `eof`: the server closed, which ends a body delimited by the
  /// close. On `head` (streamed only) response().status is set and the head is consumed; on
  /// `response` the headers are readable through response() too. body() holds the buffered
  /// body, or on `stream_bytes` (and a streamed `response`) the newly decoded bytes, which
  /// the caller clears.
  Step next(net::Connection& c, bool eof) {
    std::string_view in = c.input().readable();
    http::ResponseParseResult r = eof ? parser_.finish(in, mode_) : parser_.parse(in, mode_);
    switch (r.status) {
      case http::ResponseStatus::error:
        return Step::error;
      case http::ResponseStatus::head:
        c.consume(r.consumed);
        return Step::head;
      case http::ResponseStatus::need_more:
        // Streamed: the decoded bytes are in body(). Buffered: nothing is consumed, and a
        // chunked body already collected in body() is not complete yet.
        c.consume(r.consumed);
        return mode_.stream_body && !body().empty() ? Step::stream_bytes : Step::need_more;
      case http::ResponseStatus::complete:
        break;
    }
    // The head's views point into the input: the caller reads them, then consumes.
    response_bytes_ = r.consumed;
    return Step::response;
  }
  /// After `response`: the bytes it took in the input, for the caller to consume once it has
  /// read the headers.
  size_t response_bytes() const { return response_bytes_; }
  /// True between the first byte of a response and its end.
  bool in_progress() const { return parser_.in_progress(); }
  const http::Response& response() const { return parser_.response(); }
  std::string& body() { return parser_.response().body; }

 private:
  http::ResponseParser parser_;
  http::ResponseMode mode_;
  size_t response_bytes_ = 0;
};

class HttpSubHandler final : public net::ConnectionHandler {
 public:
  HttpSubHandler(Worker& w, SubState& sub, bool streaming)
      : w_(w), sub_(sub), streaming_(streaming), rx_(streaming) {}

  void on_connected(net::Connection& c) override {
    std::string req;
    sub_.build_request(req);
    c.send(req);
  }

  void on_data(net::Connection& c) override { read(c, false); }

  void on_eof(net::Connection& c) override {
    // A body delimited by the close ends here; a close between responses is no failure.
    if (rx_.in_progress()) read(c, true);
    if (!c.closing()) c.close();
  }

  void on_close(net::Connection& c, std::error_code ec) override {
    w_.counters().sub_in += c.stats().bytes_in;
    w_.counters().sub_out += c.stats().bytes_out;
    sub_.on_closed(c, ec);
  }

 private:
  void read(net::Connection& c, bool eof) {
    uint64_t now = base::monotonic_ns();
    while (!c.closing()) {
      HttpResponses::Step step = rx_.next(c, eof);
      if (step == HttpResponses::Step::need_more) return;
      if (step == HttpResponses::Step::error) {
        if (eof) return;  // cut short by the close: on_closed reconnects
        sub_.on_failure("malformed HTTP response");
        c.abort();
        return;
      }
      if (streaming_) {
        if (!on_stream(c, step, now)) return;
        continue;
      }
      // Poll: one complete response, buffered.
      const http::Response& res = rx_.response();
      SubState::PollAnswer a;
      a.status = res.status;
      a.body = res.body;
      a.keep_alive = res.keep_alive;
      if (w_.shared().target == Target::nchan) {
        a.etag = res.header("etag");
        a.last_modified = res.header("last-modified");
      }
      sub_.on_poll_body(a, now);
      c.consume(rx_.response_bytes());
      if (eof) return;
    }
  }

  // SSE: the head, then decoded body bytes as they come. False when the stream is over.
  bool on_stream(net::Connection& c, HttpResponses::Step step, uint64_t now) {
    if (rx_.response().status != 200) {
      sub_.on_failure("SSE answered " + std::to_string(rx_.response().status));
      c.abort();
      return false;
    }
    if (step == HttpResponses::Step::head) {
      sub_.on_ready(now);
      return true;
    }
    now_ = now;
    bool ok = sse_.feed(rx_.body(), events_);
    rx_.body().clear();
    if (!ok) {
      sub_.on_failure("SSE event too large");
      c.abort();
      return false;
    }
    if (step == HttpResponses::Step::response) {  // the server ended the stream
      c.consume(rx_.response_bytes());
      c.close();
      return false;
    }
    return true;
  }

  // Hands each event to the subscriber with the clock reading of the read it came in.
  struct Events final : proto::SseSink {
    explicit Events(HttpSubHandler& h) : h(h) {}
    void on_event(const proto::SseEvent& e) override {
      h.sub_.on_sse_event(e.type, e.data, e.id, h.now_);
    }
    HttpSubHandler& h;
  };

  Worker& w_;
  SubState& sub_;
  bool streaming_;
  uint64_t now_ = 0;
  HttpResponses rx_;
  proto::SseParser sse_;
  Events events_{*this};
};

class HttpPubHandler final : public net::ConnectionHandler {
 public:
  HttpPubHandler(Worker& w, PubState& pub) : w_(w), pub_(pub), rx_(false) {}
  void on_connected(net::Connection& c) override { pub_.on_open(c); }
  void on_data(net::Connection& c) override {
    while (!c.closing()) {
      HttpResponses::Step step = rx_.next(c, false);
      if (step == HttpResponses::Step::need_more) return;
      if (step == HttpResponses::Step::error) {
        w_.counters().error("publisher: malformed HTTP response");
        c.abort();
        return;
      }
      const http::Response& res = rx_.response();
      bool keep_alive = res.keep_alive;
      pub_.on_response(res.status, res.body);
      c.consume(rx_.response_bytes());
      // "Connection: close": the publishes still in flight get no answer on this connection;
      // on_closed counts them.
      if (!keep_alive && !c.closing()) c.close();
    }
  }
  void on_close(net::Connection& c, std::error_code ec) override {
    w_.counters().pub_in += c.stats().bytes_in;
    w_.counters().pub_out += c.stats().bytes_out;
    pub_.on_closed(c, ec);
  }

 private:
  Worker& w_;
  PubState& pub_;
  HttpResponses rx_;
};

}  // namespace

std::unique_ptr<net::ConnectionHandler> make_ws_handler(Worker& w, SubState* sub, PubState* pub,
                                                        std::string path, bool herald_protocol) {
  return std::make_unique<WsHandler>(w, sub, pub, std::move(path), herald_protocol);
}

std::unique_ptr<net::ConnectionHandler> make_http_sub_handler(Worker& w, SubState& sub,
                                                              bool streaming) {
  return std::make_unique<HttpSubHandler>(w, sub, streaming);
}

std::unique_ptr<net::ConnectionHandler> make_http_pub_handler(Worker& w, PubState& pub) {
  return std::make_unique<HttpPubHandler>(w, pub);
}

}  // namespace herald::bench
