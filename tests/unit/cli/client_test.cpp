// The client library against small fake servers on loopback, driven by a real loop.
#include "tools/cli/client.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http_codec/parser.h"
#include "net/listener.h"
#include "tools/cli/sse_client.h"
#include "tools/cli/ws_client.h"
#include "ws_codec/frame.h"
#include "ws_codec/handshake.h"
#include "ws_codec/message.h"

namespace herald::cli {
namespace {

// A server connection whose behaviour is a function of the bytes it received.
class ScriptHandler : public net::ConnectionHandler {
 public:
  using Fn = std::function<void(net::Connection&)>;
  explicit ScriptHandler(Fn fn) : fn_(std::move(fn)) {}
  void on_data(net::Connection& c) override { fn_(c); }

 private:
  Fn fn_;
};

class FakeServer {
 public:
  FakeServer(loop::Loop& loop, ScriptHandler::Fn fn) {
    auto addr = net::Address::parse("127.0.0.1:0");
    auto l = net::Listener::open(loop, addr.value(), false,
                                 [&loop, fn, this](int fd, const net::Address& a) {
                                   ++accepted;
                                   auto* c = new net::Connection(loop, fd, a, 1 << 20);
                                   conns_.insert(c);
                                   c->start(std::make_unique<ScriptHandler>(fn));
                                 });
    EXPECT_TRUE(l.ok());
    listener_ = std::move(l.value());
  }
  // Connections still open at the end are reset, so the loop frees them (no leak reports).
  ~FakeServer() {
    conns_.for_each([](net::Connection& c) { c.abort(); });
  }
  net::Address address() const { return listener_->address(); }
  std::string authority() const { return listener_->address().to_string(); }
  int accepted = 0;

 private:
  std::unique_ptr<net::Listener> listener_;
  net::ConnectionSet conns_;
};

// Runs the loop until `done` or two seconds pass.
bool run_until(loop::Loop& loop, const std::function<bool()>& done) {
  for (int i = 0; i < 400 && !done(); ++i) loop.run_once(5);
  return done();
}

// Answers each request with its target as the body; "/close" also closes the connection.
void echo_target_server(net::Connection& c) {
  http::RequestParser p;
  while (true) {
    auto r = p.parse(c.input().readable());
    if (r.status != http::ParseStatus::complete) return;
    std::string target(p.request().target);
    bool close = target == "/close";
    std::string body = target + "|" + std::string(p.request().body);
    std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                      (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
    c.consume(r.consumed);
    c.send(out);
    if (close) return c.close();
  }
}

TEST(HttpClient, PipelinedRequestsAnswerInOrderAndReconnect) {
  loop::Loop loop;
  FakeServer server(loop, echo_target_server);
  HttpClient client(loop, server.address(), server.authority());
  std::vector<std::string> got;
  auto record = [&](const HttpResult& r) {
    got.push_back(r.error ? "error" : std::to_string(r.res->status) + " " + r.res->body);
  };
  client.request("GET", "/a", {}, record);
  client.request("POST", "/b", "payload", record, "application/json");
  client.request("GET", "/close", {}, record);
  EXPECT_EQ(client.in_flight(), 3u);
  ASSERT_TRUE(run_until(loop, [&] { return got.size() == 3; }));
  EXPECT_EQ(got, (std::vector<std::string>{"200 /a|", "200 /b|payload", "200 /close|"}));
  EXPECT_EQ(server.accepted, 1);
  // The server closed after /close: the next request opens a new connection.
  client.request("GET", "/again", {}, record);
  ASSERT_TRUE(run_until(loop, [&] { return got.size() == 4; }));
  EXPECT_EQ(got.back(), "200 /again|");
  EXPECT_EQ(server.accepted, 2);
}

TEST(HttpClient, RefusedConnectionFailsTheRequest) {
  loop::Loop loop;
  net::Address addr;
  {
    FakeServer gone(loop, echo_target_server);
    addr = gone.address();
  }
  HttpClient client(loop, addr, addr.to_string());
  HttpResult seen;
  bool done = false;
  std::string text;
  client.request("GET", "/", {}, [&](const HttpResult& r) {
    done = true;
    seen.error = r.error;
    text = std::string(r.error_text);
  });
  ASSERT_TRUE(run_until(loop, [&] { return done; }));
  EXPECT_TRUE(seen.error);
  EXPECT_FALSE(text.empty());
}

// A WebSocket server: upgrade with herald.v1, greet, ping, echo text, answer close.
struct WsServerState {
  bool upgraded = false;
  bool got_pong = false;
  uint16_t close_code = 0;
  std::unique_ptr<ws::WsReader> reader;
};

ScriptHandler::Fn ws_server(WsServerState* st, int refuse_status = 0) {
  return [st, refuse_status](net::Connection& c) {
    if (!st->upgraded) {
      http::RequestParser p;
      auto r = p.parse(c.input().readable());
      if (r.status != http::ParseStatus::complete) return;
      const http::Request& q = p.request();
      if (refuse_status) {
        c.send(ws::error_response(refuse_status, "forbidden origin"));
        c.consume(r.consumed);
        return c.close();
      }
      ws::UpgradeRequest up{q.method_text,
                            "HTTP/1.1",
                            q.header("upgrade"),
                            q.header("connection"),
                            q.header("sec-websocket-key"),
                            q.header("sec-websocket-version"),
                            q.header("sec-websocket-protocol"),
                            {}};
      std::string_view supported[] = {ws::kHeraldProtocol};
      auto hs = ws::accept_upgrade(up, supported);
      c.consume(r.consumed);
      c.send(hs.response + ws::encode_frame(ws::Opcode::text, "welcome") +
             ws::encode_frame(ws::Opcode::ping, "p"));
      st->upgraded = true;
      st->reader = std::make_unique<ws::WsReader>();
    }
    std::vector<ws::WsEvent> events;
    c.consume(st->reader->feed(c.input().readable(), events));
    for (auto& e : events) {
      if (e.kind == ws::WsEvent::text) c.send(ws::encode_frame(ws::Opcode::text, e.payload));
      if (e.kind == ws::WsEvent::pong) st->got_pong = e.payload == "p";
      if (e.kind == ws::WsEvent::close) {
        st->close_code = e.close_code;
        c.send(ws::encode_close(e.close_code, "bye"));
        c.close();
      }
    }
  };
}

TEST(WsClient, UpgradesExchangesAndCloses) {
  loop::Loop loop;
  WsServerState st;
  FakeServer server(loop, ws_server(&st));
  std::vector<std::string> texts;
  uint16_t closed = 0;
  std::string reason;
  WsClient* self = nullptr;
  WsClient::Callbacks cb;
  cb.on_open = [&] { self->send_text("hello"); };
  cb.on_text = [&](std::string_view t) { texts.emplace_back(t); };
  cb.on_close = [&](uint16_t code, std::string_view r) {
    closed = code;
    reason = r;
  };
  WsClient client(loop, cb);
  self = &client;
  ASSERT_FALSE(client.connect(server.address(), server.authority(), "/ws"));
  ASSERT_TRUE(run_until(loop, [&] { return texts.size() == 2 && st.got_pong; }));
  EXPECT_EQ(texts, (std::vector<std::string>{"welcome", "hello"}));
  EXPECT_EQ(client.protocol(), "herald.v1");
  EXPECT_TRUE(client.is_open());
  client.close(1000, "done");
  ASSERT_TRUE(run_until(loop, [&] { return closed != 0; }));
  EXPECT_EQ(st.close_code, 1000);
  EXPECT_EQ(closed, 1000);
  EXPECT_EQ(reason, "bye");
}

TEST(WsClient, RefusedHandshakeReportsTheHttpError) {
  loop::Loop loop;
  WsServerState st;
  FakeServer server(loop, ws_server(&st, 403));
  uint16_t closed = 0;
  std::string reason;
  WsClient::Callbacks cb;
  cb.on_close = [&](uint16_t code, std::string_view r) {
    closed = code;
    reason = r;
  };
  WsClient client(loop, cb);
  ASSERT_FALSE(client.connect(server.address(), server.authority(), "/ws"));
  ASSERT_TRUE(run_until(loop, [&] { return closed != 0; }));
  EXPECT_EQ(closed, 1006);
  EXPECT_EQ(reason, "HTTP 403: forbidden origin");
}

ScriptHandler::Fn sse_server(std::string answer, std::string* request) {
  return [answer, request](net::Connection& c) {
    http::RequestParser p;
    auto r = p.parse(c.input().readable());
    if (r.status != http::ParseStatus::complete) return;
    *request = std::string(p.request().header("last-event-id")) + " " +
               std::string(p.request().header("accept"));
    c.consume(r.consumed);
    // Two writes, so the client sees the body arrive in pieces.
    c.send(answer.substr(0, answer.size() / 2));
    c.send(answer.substr(answer.size() / 2));
    c.close();
  };
}

TEST(SseClient, StreamsEventsUntilTheServerEnds) {
  loop::Loop loop;
  std::string request;
  FakeServer server(loop, sse_server("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"
                                     "11\r\nretry: 1500\n\nid: \r\n"
                                     "1d\r\nE:1\ndata: {\"offset\":1}\n\n: hb\n\r\n"
                                     "0\r\n\r\n",
                                     &request));
  std::vector<std::string> events;
  bool opened = false;
  int status = -1;
  std::string error = "unset";
  SseClient::Callbacks cb;
  cb.on_open = [&] { opened = true; };
  cb.on_event = [&](const proto::SseEvent& e) {
    events.push_back(std::string(e.id) + " " + std::string(e.data));
  };
  cb.on_close = [&](int s, std::string_view e) {
    status = s;
    error = e;
  };
  SseClient client(loop, cb);
  ASSERT_FALSE(client.connect(server.address(), server.authority(), "/sse?channel=c", "E:0"));
  ASSERT_TRUE(run_until(loop, [&] { return status != -1; }));
  EXPECT_TRUE(opened);
  EXPECT_EQ(request, "E:0 text/event-stream");
  EXPECT_EQ(events, (std::vector<std::string>{"E:1 {\"offset\":1}"}));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(error, "");
  EXPECT_EQ(client.retry_ms(), 1500u);
  EXPECT_EQ(client.last_event_id(), "E:1");
}

TEST(SseClient, HttpErrorIsReported) {
  loop::Loop loop;
  std::string request;
  FakeServer server(loop, sse_server("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json"
                                     "\r\nContent-Length: 36\r\n\r\n"
                                     "{\"error\":{\"code\":400,\"message\":\"x\"}}",
                                     &request));
  int status = -1;
  std::string error;
  SseClient::Callbacks cb;
  cb.on_close = [&](int s, std::string_view e) {
    status = s;
    error = e;
  };
  SseClient client(loop, cb);
  ASSERT_FALSE(client.connect(server.address(), server.authority(), "/sse?channel=%"));
  ASSERT_TRUE(run_until(loop, [&] { return status != -1; }));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(error, "HTTP 400: {\"error\":{\"code\":400,\"message\":\"x\"}}");
}

}  // namespace
}  // namespace herald::cli
