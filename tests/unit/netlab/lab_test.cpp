// The lab through real namespaces and a real relay, with a UDP echo: needs root and
// /dev/net/tun (skipped, saying why, without them).
#include "tools/netlab/lab.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "base/time.h"
#include "tools/netlab/udp_echo.h"

namespace herald::netlab {
namespace {

#define SKIP_WITHOUT_LAB()                                                \
  do {                                                                    \
    std::string why = lab_unavailable_reason();                           \
    if (!why.empty()) GTEST_SKIP() << "the lab cannot run here: " << why; \
  } while (0)

std::unique_ptr<Lab> make_lab(uint64_t seed) {
  std::string why;
  auto lab = Lab::create(seed, &why);
  EXPECT_TRUE(lab.ok()) << why;
  return lab.ok() ? std::move(*lab) : nullptr;
}

struct PingRun {
  std::vector<bool> answered;
  uint64_t relay_lost = 0;
  RelayStats stats;
};

// `n` echoes through the relay under `c`, one at a time. A datagram the relay dropped (either
// way) is given up as soon as the relay's counters say so; the timeout is only a backstop.
PingRun ping_through(Lab& lab, const Condition& c, int n) {
  PingRun run;
  lab.relay().set_condition(c);
  lab.relay().take();
  int server_fd, client_fd;
  {
    InNetns in(lab.server_ns());
    server_fd = udp_socket(kServerIp, kEchoPort);
  }
  {
    InNetns in(lab.client_ns());
    client_fd = udp_socket(kClientIp, 0);
  }
  EXPECT_GE(server_fd, 0);
  EXPECT_GE(client_fd, 0);
  UdpEchoServer echo(server_fd);
  sockaddr_in to = ipv4_address(kServerIp, kEchoPort);
  for (int i = 0; i < n; ++i) {
    uint64_t lost_before = run.relay_lost;
    auto dropped = [&] {
      RelayStats s = lab.relay().take();
      run.relay_lost += s.to_server.lost + s.to_client.lost;
      run.stats.merge(s);
      return run.relay_lost > lost_before;
    };
    uint64_t rtt = 0;
    Echo e = ping_one(client_fd, to, uint64_t(i) + 1, 64, 30'000, dropped, &rtt);
    EXPECT_NE(e, Echo::timed_out) << "datagram " << i << " neither answered nor dropped";
    run.answered.push_back(e == Echo::answered);
  }
  RelayStats s = lab.relay().take();
  run.relay_lost += s.to_server.lost + s.to_client.lost;
  run.stats.merge(s);
  ::close(client_fd);
  return run;
}

TEST(Lab, AnEmptyConditionEchoesEveryDatagramAndCalibrates) {
  SKIP_WITHOUT_LAB();
  auto lab = make_lab(1);
  ASSERT_TRUE(lab);
  PingRun run = ping_through(*lab, Condition{}, 50);
  for (bool a : run.answered) EXPECT_TRUE(a);
  EXPECT_EQ(run.stats.to_server.udp, 50u);
  EXPECT_EQ(run.stats.to_client.udp, 50u);
  EXPECT_EQ(run.stats.to_server.delivered_packets, 50u);
  EXPECT_EQ(run.relay_lost, 0u);
  Calibration cal = lab->calibrate(50);
  EXPECT_EQ(cal.relay_answered, 50);
  EXPECT_EQ(cal.loopback_answered, 50);
  EXPECT_EQ(cal.relay_rtt_ns.count(), 50u);
  EXPECT_GT(cal.relay_rtt_ns.percentile(0.5), 0u);
}

TEST(Lab, TheSameSeedLosesTheSameDatagrams) {
  SKIP_WITHOUT_LAB();
  Condition lossy{0, 0, 20, 0};
  std::vector<bool> first;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lab = make_lab(1234);
    ASSERT_TRUE(lab);
    PingRun run = ping_through(*lab, lossy, 200);
    size_t unanswered = 0;
    for (bool a : run.answered) unanswered += !a;
    // Every unanswered echo is one datagram the relay dropped, one way or the other.
    EXPECT_EQ(run.relay_lost, unanswered);
    EXPECT_GT(unanswered, 0u);
    EXPECT_LT(unanswered, 200u);
    if (attempt == 0)
      first = run.answered;
    else
      EXPECT_EQ(run.answered, first) << "a second lab with the same seed lost others";
  }
  auto other = make_lab(99);
  ASSERT_TRUE(other);
  EXPECT_NE(ping_through(*other, lossy, 200).answered, first);
}

TEST(Lab, DelayIsAddedEachWay) {
  SKIP_WITHOUT_LAB();
  auto lab = make_lab(1);
  ASSERT_TRUE(lab);
  lab->relay().set_condition(Condition{15, 0, 0, 0});
  int server_fd, client_fd;
  {
    InNetns in(lab->server_ns());
    server_fd = udp_socket(kServerIp, kEchoPort);
  }
  {
    InNetns in(lab->client_ns());
    client_fd = udp_socket(kClientIp, 0);
  }
  UdpEchoServer echo(server_fd);
  base::Histogram rtt;
  EXPECT_EQ(ping_many(client_fd, ipv4_address(kServerIp, kEchoPort), 5, 64, 30'000, rtt), 5);
  // A floor, not a speed: the relay never releases a packet before its delay.
  EXPECT_GE(rtt.min(), 30'000'000u);
  ::close(client_fd);
}

TEST(Lab, TcpCountersAreReadPerNamespace) {
  SKIP_WITHOUT_LAB();
  auto lab = make_lab(1);
  ASSERT_TRUE(lab);
  TcpCounters s = read_tcp_counters(lab->server_ns());
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.out_segs, 0u);  // a fresh namespace has sent nothing yet
}

TEST(Lab, ProcCountersParse) {
  std::string text =
      "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
      "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens OutSegs RetransSegs\n"
      "Tcp: 1 200 120000 -1 5 1234 17\n";
  uint64_t v = 0;
  EXPECT_TRUE(parse_proc_counter(text, "Tcp", "RetransSegs", &v));
  EXPECT_EQ(v, 17u);
  EXPECT_TRUE(parse_proc_counter(text, "Tcp", "OutSegs", &v));
  EXPECT_EQ(v, 1234u);
  EXPECT_FALSE(parse_proc_counter(text, "Tcp", "Nope", &v));
  EXPECT_FALSE(parse_proc_counter(text, "Udp", "OutSegs", &v));
}

TEST(Lab, DevDropsParse) {
  std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0 "
      "   0    0     0       0          0\n"
      "   hl0:    5000      40    0    1    0     0          0         0     6000      50    0 "
      "   7    0     0       0          0\n";
  uint64_t drops = 0;
  EXPECT_TRUE(parse_dev_tx_drops(text, "hl0", &drops));
  EXPECT_EQ(drops, 7u);
  EXPECT_TRUE(parse_dev_tx_drops(text, "lo", &drops));
  EXPECT_EQ(drops, 0u);
  EXPECT_FALSE(parse_dev_tx_drops(text, "hl", &drops));
}

}  // namespace
}  // namespace herald::netlab
