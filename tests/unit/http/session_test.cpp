#include "http/session.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "base/limits.h"

namespace herald::http {
namespace {

// Answers by path: /sync/X -> 200 "X" now; /hold/X -> held (answered by the test through
// refs["X"]); /close/X -> 200 "X" with close_after_response; an Upgrade request -> writes
// "UPGRADED\n" itself and hands the connection to a handler that echoes.
struct Echo : net::ConnectionHandler {
  void on_data(net::Connection& c) override {
    c.send(c.input().readable());
    c.consume(c.input().size());
  }
  void on_close(net::Connection&, std::error_code) override {}
};

struct Script : RequestHandler {
  std::map<std::string, HeldRef> refs;
  std::vector<std::string> handled;
  int aborts = 0;
  void handle(HttpSession& s, Request& req) override {
    std::string path(req.path);
    handled.push_back(path);
    if (may_take_over(req)) {
      s.connection().send(std::string_view("UPGRADED\n"));
      s.take_over(std::make_unique<Echo>());
    } else if (path.rfind("/hold/", 0) == 0) {
      refs[path.substr(6)] = s.hold([this] { ++aborts; });
    } else if (path.rfind("/close/", 0) == 0) {
      s.close_after_response();
      s.respond(200, "text/plain", path.substr(7));
    } else {
      s.respond(200, "text/plain", path.substr(path.rfind('/') + 1));
    }
  }
};

std::string get(std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    client_ = sv[0];
    ctx_.loop = &loop_;
    ctx_.settings = &settings_;
    ctx_.metrics = &metrics_;
    ctx_.date = &date_;
    conn_ = new net::Connection(loop_, sv[1], net::Address{}, 64 * 1024);
    conns_.insert(conn_);
    auto s = std::make_unique<HttpSession>(ctx_, script_, *conn_);
    session_ = s.get();
    conn_->start(std::move(s));
    session_->start();
  }
  void TearDown() override {
    ::close(client_);
    spin();
  }
  void spin(int n = 5) {
    for (int i = 0; i < n; ++i) loop_.run_once(5);
  }
  void send(const std::string& bytes) {
    ASSERT_EQ(::write(client_, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    spin();
  }
  // The bodies of the complete responses received so far, in order ("EOF" at end of stream).
  std::vector<std::string> bodies() {
    char b[65536];
    for (;;) {
      ssize_t r = ::recv(client_, b, sizeof b, MSG_DONTWAIT);
      if (r > 0) {
        in_.append(b, size_t(r));
      } else {
        if (r == 0) eof_ = true;
        break;
      }
    }
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
      size_t end = in_.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      std::string head = in_.substr(pos, end - pos);
      size_t cl = head.find("Content-Length: ");
      size_t len = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
      out.push_back(in_.substr(end + 4, len));
      pos = end + 4 + len;
    }
    rest_ = in_.substr(pos);
    if (eof_) out.push_back("EOF");
    return out;
  }
  std::vector<std::string> vec(std::initializer_list<const char*> l) {
    return {l.begin(), l.end()};
  }

  loop::Loop loop_;
  base::Settings settings_;
  base::Metrics metrics_;
  DateCache date_;
  Context ctx_;
  net::ConnectionSet conns_;
  net::Connection* conn_ = nullptr;
  HttpSession* session_ = nullptr;
  Script script_;
  int client_ = -1;
  std::string in_, rest_;
  bool eof_ = false;
};

TEST_F(SessionTest, HeldResponsesLeaveInRequestOrderWhenAnsweredOutOfOrder) {
  send(get("/hold/a") + get("/hold/b") + get("/hold/c"));
  // All three were dispatched although the first is held.
  EXPECT_EQ(script_.handled.size(), 3u);
  EXPECT_EQ(session_->outstanding(), 3u);
  session_->respond(script_.refs["c"], 200, "text/plain", "C");
  session_->respond(script_.refs["b"], 200, "text/plain", "B");
  spin();
  EXPECT_TRUE(bodies().empty());  // A is still due
  session_->respond(script_.refs["a"], 200, "text/plain", "A");
  spin();
  EXPECT_EQ(bodies(), vec({"A", "B", "C"}));
  EXPECT_EQ(session_->outstanding(), 0u);
  // A ref answers once: it resolves to nothing afterwards.
  EXPECT_EQ(HttpSession::resolve(script_.refs["a"]), nullptr);
}

TEST_F(SessionTest, RefsStayTrueWhileTheQueueGrows) {
  // Held across several ring growths (the ring starts small), answered last to first.
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += get((i % 3 == 2 ? "/sync/" : "/hold/") + std::to_string(i));
  send(batch);
  EXPECT_EQ(session_->outstanding(), 20u);
  for (int i = 19; i >= 0; --i) {
    if (i % 3 == 2) continue;
    std::string k = std::to_string(i);
    session_->respond(script_.refs[k], 200, "text/plain", "h" + k);
  }
  spin();
  auto got = bodies();
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(got[size_t(i)], (i % 3 == 2 ? "" : "h") + std::to_string(i));
}

TEST_F(SessionTest, ImmediateResponseWaitsForEarlierHeldOne) {
  send(get("/hold/a") + get("/sync/b") + get("/sync/c"));
  EXPECT_EQ(script_.handled.size(), 3u);
  EXPECT_TRUE(bodies().empty());
  session_->respond(script_.refs["a"], 200, "text/plain", "A");
  spin();
  EXPECT_EQ(bodies(), vec({"A", "b", "c"}));
  // The connection goes on normally.
  send(get("/sync/d"));
  EXPECT_EQ(bodies(), vec({"A", "b", "c", "d"}));
}

TEST_F(SessionTest, LimitPausesReadingUntilAnswersGoOut) {
  const size_t limit = base::limits::kMaxPipelinedResponses;
  std::string batch;
  for (size_t i = 0; i < limit + 5; ++i) batch += get("/hold/" + std::to_string(i));
  send(batch);
  EXPECT_EQ(script_.handled.size(), limit);
  EXPECT_EQ(session_->outstanding(), limit);
  session_->respond(script_.refs["0"], 200, "text/plain", "0");
  spin();
  EXPECT_EQ(script_.handled.size(), limit + 1);  // one slot freed, one more request read
  for (size_t i = 1; i < limit + 5; ++i) {
    std::string k = std::to_string(i);
    session_->respond(script_.refs[k], 200, "text/plain", k);
    spin(1);
  }
  spin();
  auto got = bodies();
  ASSERT_EQ(got.size(), limit + 5);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], std::to_string(i));
}

TEST_F(SessionTest, TakeOverWaitsForEarlierResponses) {
  send(get("/hold/a") + get("/sync/b") +
       "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello");
  EXPECT_EQ(script_.handled, vec({"/hold/a", "/sync/b"}));  // the upgrade waits
  EXPECT_TRUE(bodies().empty());
  session_->respond(script_.refs["a"], 200, "text/plain", "A");
  spin();
  EXPECT_EQ(script_.handled.size(), 3u);
  auto got = bodies();
  EXPECT_EQ(got, vec({"A", "b"}));
  // After both responses: the upgrade's own bytes, then the echo of what followed it.
  EXPECT_EQ(rest_, "UPGRADED\nhello");
}

TEST_F(SessionTest, ClosingResponseGoesAfterEarlierOnesAndNothingAfterIsRead) {
  send(get("/hold/a") + get("/close/b") + get("/sync/c"));
  EXPECT_EQ(script_.handled, vec({"/hold/a", "/close/b"}));
  session_->respond(script_.refs["a"], 200, "text/plain", "A");
  spin();
  EXPECT_EQ(bodies(), vec({"A", "b", "EOF"}));
  EXPECT_EQ(script_.handled.size(), 2u);
}

TEST_F(SessionTest, ParseErrorAnsweredAfterHeldResponse) {
  send(get("/hold/a") + "BOGUS\r\n\r\n");
  EXPECT_TRUE(bodies().empty());
  session_->respond(script_.refs["a"], 200, "text/plain", "A");
  spin();
  auto got = bodies();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "A");
  EXPECT_EQ(got[1].rfind("400", 0), 0u) << got[1];
  EXPECT_EQ(got[2], "EOF");
}

TEST_F(SessionTest, CloseWithOutstandingHoldsRunsEveryAbort) {
  send(get("/hold/a") + get("/hold/b") + get("/sync/c") + get("/hold/d"));
  EXPECT_EQ(session_->outstanding(), 4u);
  session_->respond(script_.refs["b"], 200, "text/plain", "B");  // ready, waiting behind a
  ::shutdown(client_, SHUT_RDWR);
  conn_->close();
  spin();
  EXPECT_EQ(script_.aborts, 2);  // a and d; b was answered
  EXPECT_EQ(HttpSession::resolve(script_.refs["a"]), nullptr);
  EXPECT_EQ(HttpSession::resolve(script_.refs["d"]), nullptr);
}

}  // namespace
}  // namespace herald::http
