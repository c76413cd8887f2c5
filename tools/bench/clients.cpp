// Connection handlers of the bench client: WebSocket (subscriber, publisher, echo), HTTP
// subscriber (SSE stream or poll), HTTP publisher. They frame bytes and hand messages to their
// SubState / PubState; the per-message path takes one clock reading per read and reuses its
// buffers.
#include <cstring>

#include "base/time.h"
#include "engine.h"
#include "ws/frame.h"
#include "ws/handshake.h"

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
    c.send(ws::build_upgrade_request(w_.shared().ep.host, path_, key_,
                                     herald_ ? ws::kHeraldProtocol : std::string_view{}));
  }

  void on_data(net::Connection& c) override {
    uint64_t now = base::monotonic_ns();
    if (!open_) {
      ResponseHead head;
      size_t used = 0;
      HeadStatus st = parse_response_head(c.input().readable(), &head, &used);
      if (st == HeadStatus::need_more) return;
      std::string_view why;
      if (st == HeadStatus::error) {
        why = "malformed handshake response";
      } else {
        ws::UpgradeResponse r{head.status, head.upgrade, head.connection, head.accept,
                              head.protocol};
        why = ws::verify_upgrade_response(r, key_, herald_ ? ws::kHeraldProtocol : "");
      }
      if (!why.empty()) return fail(c, "websocket handshake: " + std::string(why));
      c.consume(used);
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
  ws::FrameParser parser_;
  std::string msg_;
  std::string ctrl_;
  std::string* sink_ = &msg_;
};

// HTTP/1.1 responses on a keep-alive connection: a head, then a body framed by Content-Length
// or chunked; with `streaming` (SSE) the body is an endless stream handed on as it comes.
class HttpResponses {
 public:
  enum class Step { need_more, response, stream_bytes, error };
  /// Consumes what it can from `c`'s input. On `response`, head()/body() hold one complete
  /// response; on `stream_bytes`, body() holds new stream bytes (clear it after use).
  Step next(net::Connection& c, bool streaming) {
    for (;;) {
      std::string_view in = c.input().readable();
      if (!in_body_) {
        size_t used = 0;
        HeadStatus st = parse_response_head(in, &head_, &used);
        if (st == HeadStatus::need_more) return Step::need_more;
        if (st == HeadStatus::error) return Step::error;
        status_ = head_.status;
        has_length_ = head_.has_length;
        length_ = head_.content_length;
        chunked_ = head_.chunked;
        etag_.assign(head_.etag);
        last_modified_.assign(head_.last_modified);
        c.consume(used);
        in_body_ = true;
        body_.clear();
        dechunk_.reset();
        if (status_ == 101 || status_ == 204 || status_ == 304) has_length_ = true, length_ = 0;
        continue;
      }
      bool stream = streaming && status_ == 200;
      if (chunked_) {
        size_t used = dechunk_.feed(in, body_);
        c.consume(used);
        if (dechunk_.failed()) return Step::error;
        if (dechunk_.done()) {
          in_body_ = false;
          return Step::response;
        }
        if (stream && !body_.empty()) return Step::stream_bytes;
        return Step::need_more;
      }
      if (!has_length_) {  // until close
        body_.append(in);
        c.consume(in.size());
        return stream && !body_.empty() ? Step::stream_bytes : Step::need_more;
      }
      size_t want = size_t(length_) - body_.size();
      size_t n = in.size() < want ? in.size() : want;
      body_.append(in.data(), n);
      c.consume(n);
      if (body_.size() == length_) {
        in_body_ = false;
        return Step::response;
      }
      return Step::need_more;
    }
  }
  int status() const { return status_; }
  std::string& body() { return body_; }
  const ResponseHead& head() const { return head_; }
  const std::string& etag() const { return etag_; }
  const std::string& last_modified() const { return last_modified_; }

 private:
  ResponseHead head_;
  bool in_body_ = false;
  int status_ = 0;
  bool has_length_ = false;
  bool chunked_ = false;
  uint64_t length_ = 0;
  std::string body_;
  std::string etag_, last_modified_;
  Dechunker dechunk_;
};

class HttpSubHandler final : public net::ConnectionHandler {
 public:
  HttpSubHandler(Worker& w, SubState& sub, bool streaming)
      : w_(w), sub_(sub), streaming_(streaming) {}

  void on_connected(net::Connection& c) override {
    std::string req;
    sub_.build_request(req);
    c.send(req);
  }

  void on_data(net::Connection& c) override {
    uint64_t now = base::monotonic_ns();
    while (!c.closing()) {
      HttpResponses::Step step = rx_.next(c, streaming_);
      if (step == HttpResponses::Step::need_more) return;
      if (step == HttpResponses::Step::error) {
        sub_.on_failure("malformed HTTP response");
        c.abort();
        return;
      }
      if (streaming_) {
        if (rx_.status() != 200) {
          sub_.on_failure("SSE answered " + std::to_string(rx_.status()));
          c.abort();
          return;
        }
        if (!ready_) {
          ready_ = true;
          sub_.on_ready(now);
        }
        bool ok = sse_.feed(rx_.body(), [&](const SseParser::Event& e) {
          sub_.on_sse_event(e.event, e.data, e.id, now);
        });
        rx_.body().clear();
        if (!ok) {
          sub_.on_failure("SSE event too large");
          c.abort();
          return;
        }
        if (step == HttpResponses::Step::response) {  // the stream ended (chunked)
          c.close();
          return;
        }
        continue;
      }
      // Poll: one complete response. The ResponseHead's views are gone; pass what survives.
      ResponseHead head;
      head.status = rx_.status();
      head.etag = rx_.etag();
      head.last_modified = rx_.last_modified();
      sub_.on_poll_body(rx_.body(), head, now);
    }
  }

  void on_close(net::Connection& c, std::error_code ec) override {
    w_.counters().sub_in += c.stats().bytes_in;
    w_.counters().sub_out += c.stats().bytes_out;
    sub_.on_closed(c, ec);
  }

 private:
  Worker& w_;
  SubState& sub_;
  bool streaming_;
  bool ready_ = false;
  HttpResponses rx_;
  SseParser sse_;
};

class HttpPubHandler final : public net::ConnectionHandler {
 public:
  HttpPubHandler(Worker& w, PubState& pub) : w_(w), pub_(pub) {}
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
      pub_.on_response(rx_.status(), rx_.body());
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
