#include "hook/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"

namespace herald::hook {
namespace {

// A real HTTP backend on loopback, on its own thread, with blocking sockets: reads each request
// (head + Content-Length body) and acts as `mode` says.
class Backend {
 public:
  enum class Mode {
    answer,        // 200 with `body`, keep-alive
    silent,        // reads, never answers
    one_per_conn,  // answers the first request of a connection, closes at the second
  };
  explicit Backend(Mode mode, std::string body = R"({"allow":true})")
      : mode_(mode), body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~Backend() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    std::lock_guard<std::mutex> g(mu_);
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int accepted() const { return accepted_; }
  int requests() const { return requests_; }
  std::string last_request() {
    std::lock_guard<std::mutex> g(mu_);
    return last_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++accepted_;
      std::lock_guard<std::mutex> g(mu_);
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string in;
    int on_this_conn = 0;
    char buf[4096];
    while (!stop_) {
      size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t cl = in.find("Content-Length: ");
        size_t n = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= head_end + 4 + n) {
          ++requests_;
          ++on_this_conn;
          {
            std::lock_guard<std::mutex> g(mu_);
            last_ = in.substr(0, head_end + 4 + n);
          }
          in.erase(0, head_end + 4 + n);
          if (mode_ == Mode::one_per_conn && on_this_conn > 1) break;
          if (mode_ != Mode::silent) {
            std::string r =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body_.size()) + "\r\n\r\n" + body_;
            if (::send(c, r.data(), r.size(), MSG_NOSIGNAL) < 0) break;
          }
          continue;
        }
      }
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, size_t(n));
    }
    ::close(c);
  }

  Mode mode_;
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::string last_;
  std::vector<std::thread> conns_;
  std::thread thread_;
};

struct Fixture {
  loop::Loop loop;
  base::Settings settings;
  std::optional<Client> client;
  Fixture(uint32_t timeout_ms = 5000, uint32_t max_inflight = 8) {
    settings.auth_hook_timeout_ms = timeout_ms;
    settings.auth_hook_max_inflight = max_inflight;
    client.emplace(loop, &settings);
  }
  ~Fixture() {
    client.reset();
    loop.run_once(0);  // reap the connections
  }
  // Runs the loop until `n` replies arrived (or a generous deadline passed).
  void run_until(const std::vector<access::HookReply>& replies, size_t n) {
    uint64_t deadline = base::monotonic_ms() + 20'000;
    while (replies.size() < n && base::monotonic_ms() < deadline) loop.run_once(10);
  }
  access::HookTransport::Done into(std::vector<access::HookReply>& replies) {
    return [&replies](access::HookReply r) { replies.push_back(std::move(r)); };
  }
};

using Failure = access::HookReply::Failure;

TEST(HookUrl, Parses) {
  auto u = parse_url("http://127.0.0.1:9000/connect?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->authority, "127.0.0.1:9000");
  EXPECT_EQ(u->path, "/connect?x=1");
  EXPECT_EQ(u->address.port(), 9000);
  auto d = parse_url("http://127.0.0.1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->address.port(), 80);
  EXPECT_EQ(d->path, "/");
  EXPECT_TRUE(parse_url("http://[::1]:81/x").ok());
  for (const char* bad :
       {"https://127.0.0.1/x", "127.0.0.1:80/x", "http://", "http:///x", "http://u@127.0.0.1/",
        "http://127.0.0.1:0/", "http://1.2.3.4/a b", "http://example.invalid:80/"})
    EXPECT_FALSE(parse_url(bad).ok()) << bad;
}

TEST(HookClient, PostsAndReusesTheConnection) {
  Backend be(Backend::Mode::answer, R"({"allow":true})");
  Fixture f;
  std::vector<access::HookReply> replies;
  f.client->post(be.url("/sub"), R"({"a":1})", true, f.into(replies));
  EXPECT_TRUE(replies.empty());  // never inside post()
  f.run_until(replies, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].failure, Failure::none);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_EQ(replies[0].body, R"({"allow":true})");
  std::string req = be.last_request();
  EXPECT_NE(req.find("POST /sub HTTP/1.1\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\n\r\n{\"a\":1}"), std::string::npos) << req;
  EXPECT_EQ(f.client->idle_connections(), 1u);
  f.client->post(be.url("/sub"), "{}", true, f.into(replies));
  f.run_until(replies, 2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].failure, Failure::none);
  EXPECT_EQ(be.accepted(), 1);  // keep-alive: the same connection
  EXPECT_EQ(f.client->in_flight(), 0u);
}

TEST(HookClient, TimesOut) {
  Backend be(Backend::Mode::silent);
  Fixture f(/*timeout_ms=*/50);
  std::vector<access::HookReply> replies;
  f.client->post(be.url(), "{}", true, f.into(replies));
  f.run_until(replies, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].failure, Failure::timeout);
  EXPECT_EQ(f.client->idle_connections(), 0u);  // out of step: not pooled
}

TEST(HookClient, ConnectionRefusedFails) {
  int port;
  {
    Backend be(Backend::Mode::answer);  // a port that was just free, closed again
    port = std::stoi(be.url().substr(17));
  }
  Fixture f;
  std::vector<access::HookReply> replies;
  f.client->post("http://127.0.0.1:" + std::to_string(port) + "/x", "{}", true, f.into(replies));
  f.run_until(replies, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].failure, Failure::error);
}

TEST(HookClient, OverTheInflightLimitFailsAtOnce) {
  Backend be(Backend::Mode::silent);
  Fixture f(/*timeout_ms=*/60'000, /*max_inflight=*/2);
  std::vector<access::HookReply> replies;
  for (int i = 0; i < 3; ++i) f.client->post(be.url(), "{}", true, f.into(replies));
  f.run_until(replies, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].failure, Failure::overload);
  EXPECT_EQ(f.client->in_flight(), 2u);
}

TEST(HookClient, ARetrySafeRequestGoesAgainOnAFreshConnection) {
  Backend be(Backend::Mode::one_per_conn);
  Fixture f;
  std::vector<access::HookReply> replies;
  f.client->post(be.url(), "{}", true, f.into(replies));
  f.run_until(replies, 1);
  ASSERT_EQ(replies.size(), 1u);
  // The pooled connection is closed by the backend when the next request arrives on it.
  f.client->post(be.url(), "{}", true, f.into(replies));
  f.run_until(replies, 2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].failure, Failure::none);
  EXPECT_EQ(be.accepted(), 2);
}

TEST(HookClient, APublishIsNeverSentTwice) {
  Backend be(Backend::Mode::one_per_conn);
  Fixture f;
  std::vector<access::HookReply> replies;
  f.client->post(be.url(), "{}", false, f.into(replies));
  f.run_until(replies, 1);
  f.client->post(be.url(), "{}", false, f.into(replies));
  f.run_until(replies, 2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].failure, Failure::error);
  EXPECT_EQ(be.requests(), 2);
}

TEST(HookClient, NoCallbackAfterDestruction) {
  Backend be(Backend::Mode::silent);
  Fixture f;
  bool called = false;
  f.client->post(be.url(), "{}", true, [&called](access::HookReply) { called = true; });
  for (int i = 0; i < 5; ++i) f.loop.run_once(5);
  f.client.reset();
  for (int i = 0; i < 5; ++i) f.loop.run_once(5);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace herald::hook
