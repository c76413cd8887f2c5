#include "tools/cli/sse_client.h"

namespace herald::cli {

SseClient::SseClient(loop::Loop& loop, Callbacks callbacks)
    : cb_(std::move(callbacks)), socket_(loop, *this) {}

SseClient::~SseClient() = default;

std::error_code SseClient::connect(const net::Address& addr, std::string_view authority,
                                   std::string_view target, std::string_view last_event_id) {
  parser_.reset();
  sse_.reset_stream();
  status_ = 0;
  streaming_ = false;
  ended_ = false;
  error_body_.clear();
  if (std::error_code ec = socket_.connect(addr)) {
    ended_ = true;
    return ec;
  }
  std::string req;
  req.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(authority);
  req.append("\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n");
  if (!last_event_id.empty()) req.append("Last-Event-ID: ").append(last_event_id).append("\r\n");
  req.append("\r\n");
  socket_.conn()->send(req);
  return {};
}

void SseClient::close() {
  ended_ = true;
  socket_.close();
}

void SseClient::end(std::string_view error) {
  if (ended_) return;
  ended_ = true;
  socket_.close();
  if (cb_.on_close) cb_.on_close(status_, error);
}

void SseClient::on_event(const proto::SseEvent& event) {
  if (!ended_ && cb_.on_event) cb_.on_event(event);
}

void SseClient::on_id(std::string_view id) {
  if (!ended_ && cb_.on_id) cb_.on_id(id);
}

bool SseClient::take_body() {
  std::string& body = parser_.response().body;
  if (body.empty()) return true;
  if (streaming_) {
    bool ok = sse_.feed(body, *this);
    body.clear();
    if (!ok) end("event too large");
    return ok && !ended_;
  }
  // An error answer: keep the start of its body for the message.
  if (error_body_.size() < kMaxErrorBody) {
    error_body_.append(body.substr(0, kMaxErrorBody - error_body_.size()));
  }
  body.clear();
  return true;
}

void SseClient::handle(net::Connection& conn, bool eof) {
  http::ResponseMode mode;
  mode.stream_body = true;
  while (!ended_ && socket_.conn() == &conn) {
    std::string_view in = conn.input().readable();
    http::ResponseParseResult r = eof ? parser_.finish(in, mode) : parser_.parse(in, mode);
    switch (r.status) {
      case http::ResponseStatus::error:
        return end(std::string("bad response: ") + r.error_reason);
      case http::ResponseStatus::head: {
        const http::Response& res = parser_.response();
        status_ = res.status;
        std::string_view type = res.header("content-type");
        streaming_ = status_ == 200 && type.substr(0, 17) == "text/event-stream";
        conn.consume(r.consumed);
        if (status_ == 200 && !streaming_) return end("not an event stream");
        if (streaming_ && cb_.on_open) cb_.on_open();
        continue;
      }
      case http::ResponseStatus::need_more:
        conn.consume(r.consumed);
        take_body();
        if (eof && !ended_) return end("connection closed");
        return;
      case http::ResponseStatus::complete: {
        if (status_ == 0) status_ = parser_.response().status;
        conn.consume(r.consumed);
        if (!take_body()) return;
        if (streaming_) return end({});
        std::string why = "HTTP " + std::to_string(status_);
        std::string_view body = error_body_;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
        if (!body.empty()) why.append(": ").append(body);
        return end(why);
      }
    }
  }
}

void SseClient::on_data(net::Connection& conn) {
  handle(conn, false);
}

void SseClient::on_eof(net::Connection& conn) {
  handle(conn, true);
  end("connection closed");
}

void SseClient::on_closed(std::error_code ec) {
  end(ec ? ec.message() : std::string("connection closed"));
}

}  // namespace herald::cli
