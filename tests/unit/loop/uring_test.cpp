#include "loop/uring.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "loop/loop.h"

namespace herald::loop {
namespace {

struct Result : UringCompletion {
  int calls = 0;
  int res = 0;
  void on_uring_complete(int r) override {
    ++calls;
    res = r;
  }
};

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    a = sv[0];
    b = sv[1];
    int small = 4096;
    setsockopt(a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  ~Pair() {
    ::close(a);
    ::close(b);
  }
  void fill() {  // until the kernel takes nothing more
    char junk[4096] = {};
    while (::send(a, junk, sizeof junk, MSG_DONTWAIT) > 0) {
    }
  }
  size_t drain() {
    char buf[65536];
    size_t n = 0;
    ssize_t r;
    while ((r = ::recv(b, buf, sizeof buf, MSG_DONTWAIT)) > 0) n += size_t(r);
    return n;
  }
};

// A msghdr of one slice of `len` bytes at `data`.
struct OneSlice {
  iovec iov;
  msghdr msg{};
  OneSlice(char* data, size_t len) : iov{data, len} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
  }
};

TEST(Uring, SendCompletesInlineWithinTheSubmit) {
  int err = 0;
  auto u = Uring::create(8, &err);
  ASSERT_NE(u, nullptr) << err;
  Pair p;
  char data[] = "hello";
  OneSlice one(data, 5);
  Result r;
  u->prep_sendmsg(p.a, &one.msg, MSG_DONTWAIT | MSG_NOSIGNAL, &r);
  EXPECT_TRUE(u->has_unsubmitted());
  u->submit();
  EXPECT_EQ(u->reap(), 1u);  // already posted: no wait was needed
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.res, 5);
  EXPECT_EQ(u->in_flight(), 0u);
  EXPECT_EQ(u->enters(), 1u);
}

TEST(Uring, DontwaitOnAFullSocketCompletesWithEagain) {
  // The flush path relies on this: the kernel must not poll internally, so a full socket
  // answers like writev does and the connection arms EPOLLOUT itself.
  auto u = Uring::create(8, nullptr);
  ASSERT_NE(u, nullptr);
  Pair p;
  p.fill();
  char data[] = "more";
  OneSlice one(data, 4);
  Result r;
  u->prep_sendmsg(p.a, &one.msg, MSG_DONTWAIT | MSG_NOSIGNAL, &r);
  u->submit();
  u->reap();
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.res, -EAGAIN);
}

TEST(Uring, ALateCompletionWakesTheLoopThroughTheRingFd) {
  Loop loop;
  ASSERT_TRUE(loop.enable_io_uring(8));
  Pair p;
  p.fill();
  std::string data(1000, 'x');
  OneSlice one(data.data(), data.size());
  Result r;
  // Without MSG_DONTWAIT the kernel waits for room: the completion comes after the submit.
  loop.uring()->prep_sendmsg(p.a, &one.msg, MSG_NOSIGNAL, &r);
  loop.uring()->submit();
  loop.run_once(0);
  EXPECT_EQ(r.calls, 0);
  EXPECT_EQ(loop.uring()->in_flight(), 1u);
  EXPECT_GT(p.drain(), 0u);  // room again: the kernel finishes the send and posts it
  for (int i = 0; i < 50 && r.calls == 0; ++i) loop.run_once(100);
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.res, 1000);
}

TEST(Uring, LoopDestructionWaitsForOperationsInFlight) {
  Pair p;
  p.fill();
  std::string data(1000, 'x');
  OneSlice one(data.data(), data.size());
  Result r;
  {
    Loop loop;
    ASSERT_TRUE(loop.enable_io_uring(8));
    loop.uring()->prep_sendmsg(p.a, &one.msg, MSG_NOSIGNAL, &r);
    loop.uring()->submit();
    loop.run_once(0);
    ASSERT_EQ(r.calls, 0);
    ::shutdown(p.a, SHUT_WR);  // fails the blocked send, so the drain ends
  }
  EXPECT_EQ(r.calls, 1);
  EXPECT_LT(r.res, 0);
}

TEST(Uring, SubmitsEarlyWhenTheQueueIsFull) {
  auto u = Uring::create(4, nullptr);
  ASSERT_NE(u, nullptr);
  Pair p;
  char data[] = "x";
  OneSlice one(data, 1);
  Result r[10];
  for (auto& x : r) u->prep_sendmsg(p.a, &one.msg, MSG_DONTWAIT | MSG_NOSIGNAL, &x);
  u->submit();
  EXPECT_EQ(u->reap(), 10u);
  for (auto& x : r) EXPECT_EQ(x.res, 1);
  EXPECT_EQ(p.drain(), 10u);
}

// More completions than the completion queue holds wait in the kernel's backlog; reap() must
// see the ring's overflow flag and fetch them, not stop at the first empty queue.
TEST(Uring, CompletionsPastTheQueueAreReapedFromTheKernelsBacklog) {
  auto u = Uring::create(4, nullptr);  // 4 submissions, 16 completions
  ASSERT_NE(u, nullptr);
  Pair p;
  int big = 1 << 20;  // room for 40 one-byte messages (each costs a buffer's overhead)
  setsockopt(p.a, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  char data[] = "x";
  OneSlice one(data, 1);
  Result r[40];
  for (size_t i = 0; i < std::size(r); ++i) {
    u->prep_sendmsg(p.a, &one.msg, MSG_DONTWAIT | MSG_NOSIGNAL, &r[i]);
    if (i % 4 == 3) u->submit();
  }
  u->reap();
  for (auto& x : r) {
    EXPECT_EQ(x.calls, 1);
    EXPECT_EQ(x.res, 1);
  }
  EXPECT_EQ(p.drain(), std::size(r));
}

}  // namespace
}  // namespace herald::loop
