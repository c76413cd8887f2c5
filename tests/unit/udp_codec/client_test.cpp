#include "udp_codec/client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::udp_codec {
namespace {

constexpr uint64_t kSession = 77;

// Collects what the session sends and tells; plays the server by hand.
struct Recorder : ClientSession::Sink {
  std::vector<std::string> sent;
  std::vector<uint64_t> delivered;  // offsets, in arrival order
  std::vector<uint64_t> announced;
  std::vector<uint64_t> fills;
  uint64_t lost = 0;
  std::vector<std::pair<size_t, uint16_t>> errors;
  int opened = 0;

  void send(std::string_view d) override { sent.emplace_back(d); }
  void on_opened(uint32_t, uint16_t) override { ++opened; }
  void on_publication(size_t, std::string_view, uint64_t off, std::string_view,
                      bool fill) override {
    delivered.push_back(off);
    if (fill) fills.push_back(off);
  }
  void on_announce(size_t, std::string_view, uint64_t off, uint32_t, bool) override {
    announced.push_back(off);
  }
  void on_lost(size_t, std::string_view, uint64_t, uint64_t, uint64_t count) override {
    lost += count;
  }
  void on_error(size_t i, uint16_t code, std::string_view) override {
    errors.emplace_back(i, code);
  }

  // The last datagram sent, decoded (its views point into `sent`).
  Message last() const {
    Message m;
    EXPECT_EQ(decode(sent.back(), &m), DecodeError::ok);
    return m;
  }
};

std::string server(Message m) {
  m.session = kSession;
  std::string out;
  encode(m, &out);
  return out;
}

std::string pub(uint64_t off, std::string_view epoch = "E") {
  Message m;
  m.type = Type::pub;
  m.channel = "c";
  m.epoch = epoch;
  m.offset = off;
  m.data = "1";
  return server(m);
}

// Drives a session through hello, cookie, open, subscribe (answered at `E:at`).
void handshake(ClientSession& s, Recorder& r, uint64_t at, uint64_t now = 1000) {
  s.start(now);
  ASSERT_EQ(r.last().type, Type::hello);
  EXPECT_GE(r.sent.back().size(), kHelloMinBytes);
  Message cookie;
  cookie.type = Type::cookie;
  cookie.cookie[0] = 9;
  s.on_datagram(server(cookie), now);
  ASSERT_EQ(r.last().type, Type::open);
  EXPECT_EQ(r.last().cookie[0], 9);
  Message opened;
  opened.type = Type::opened;
  opened.lease_ms = 30000;
  opened.max_datagram = 1200;
  s.on_datagram(server(opened), now);
  Message sub = r.last();
  ASSERT_EQ(sub.type, Type::subscribe);
  EXPECT_EQ(sub.id, 1u);
  Message ok;
  ok.type = Type::subscribed;
  ok.id = 1;
  ok.channel = "c";
  ok.epoch = "E";
  ok.offset = at;
  s.on_datagram(server(ok), now);
  EXPECT_TRUE(s.all_subscribed());
}

TEST(ClientSession, OpensSubscribesAndDeliversEachOffsetOnce) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "", 0}}, r);
  handshake(s, r, 5);
  EXPECT_EQ(r.opened, 1);
  s.on_datagram(pub(6), 1001);
  s.on_datagram(pub(6), 1001);  // the network duplicated it
  s.on_datagram(pub(5), 1001);  // before the subscription: not ours
  s.on_datagram(pub(7), 1002);
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{6, 7}));
  EXPECT_EQ(s.stats().duplicates, 1u);
  EXPECT_EQ(s.tracker(0).contiguous(), 7u);
}

TEST(ClientSession, AGapIsAskedForAndFilledOnce) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "", 0}}, r);
  handshake(s, r, 0);
  s.on_datagram(pub(1), 1000);
  s.on_datagram(pub(4), 1000);  // 2 and 3 lost
  s.tick(1000);                 // the gap is seen; it may only be reordered yet
  size_t before = r.sent.size();
  s.tick(1000 + kClientReorderMs - 1);
  EXPECT_EQ(r.sent.size(), before);
  s.tick(1000 + kClientReorderMs);
  Message ask = r.last();
  ASSERT_EQ(ask.type, Type::resend);
  EXPECT_EQ(ask.offset, 1u);
  EXPECT_EQ(ask.count, 2u);
  EXPECT_EQ(ask.epoch, "E");
  s.on_datagram(pub(3), 1030);
  s.on_datagram(pub(2), 1030);
  s.on_datagram(pub(2), 1030);  // the original, late
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{1, 4, 3, 2}));
  EXPECT_EQ(r.fills, (std::vector<uint64_t>{3, 2}));
  EXPECT_TRUE(s.tracker(0).complete());
  EXPECT_EQ(s.stats().resend_requests, 1u);
}

TEST(ClientSession, ALostTailIsFoundByAProbe) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "", 0}}, r);
  handshake(s, r, 0);
  s.on_datagram(pub(1), 1000);  // 2 and 3 were published and lost: nothing reveals them
  s.tick(1000 + kClientTailProbeMs);
  Message probe = r.last();
  ASSERT_EQ(probe.type, Type::resend);
  EXPECT_EQ(probe.offset, 1u);
  Message resent;
  resent.type = Type::resent;
  resent.id = probe.id;
  resent.channel = "c";
  resent.epoch = "E";
  resent.offset = 3;
  resent.flags = kFlagHadSince | kFlagRecovered;
  s.on_datagram(pub(2), 1300);
  s.on_datagram(server(resent), 1300);
  EXPECT_EQ(s.tracker(0).end(), 3u);
  s.tick(1300);
  s.tick(1300 + kClientReorderMs);
  Message ask = r.last();
  ASSERT_EQ(ask.type, Type::resend);
  EXPECT_EQ(ask.offset, 2u);
  EXPECT_EQ(ask.count, 1u);
}

TEST(ClientSession, WhatHistoryNoLongerHoldsIsReportedLostOnce) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "", 0}}, r);
  handshake(s, r, 0);
  s.on_datagram(pub(1), 1000);
  s.on_datagram(pub(5), 1000);
  s.tick(1000);
  s.tick(1000 + kClientReorderMs);
  Message ask = r.last();
  ASSERT_EQ(ask.type, Type::resend);
  Message resent;
  resent.type = Type::resent;
  resent.id = ask.id;
  resent.channel = "c";
  resent.epoch = "E";
  resent.offset = 5;
  resent.flags = kFlagHadSince;  // not recovered
  s.on_datagram(server(resent), 1030);
  EXPECT_EQ(r.lost, 3u);
  EXPECT_TRUE(s.tracker(0).complete());
  EXPECT_EQ(s.tracker(0).contiguous(), 5u);
}

TEST(ClientSession, AResetOpensAgainAndResumesFromTheCursor) {
  Recorder r;
  ClientSession s(kSession, "tok", {{"c", "", 0}}, r);
  handshake(s, r, 0);
  s.on_datagram(pub(1), 1000);
  s.on_datagram(pub(2), 1000);
  Message reset;
  reset.type = Type::reset;
  s.on_datagram(server(reset), 2000);
  EXPECT_EQ(r.last().type, Type::hello);
  EXPECT_EQ(s.stats().resets, 1u);
  Message cookie;
  cookie.type = Type::cookie;
  s.on_datagram(server(cookie), 2000);
  EXPECT_EQ(r.last().token, "tok");
  Message opened;
  opened.type = Type::opened;
  opened.lease_ms = 30000;
  s.on_datagram(server(opened), 2000);
  Message sub = r.last();
  ASSERT_EQ(sub.type, Type::subscribe);
  EXPECT_EQ(sub.epoch, "E");
  EXPECT_EQ(sub.offset, 2u);
  Message ok;
  ok.type = Type::subscribed;
  ok.id = 1;
  ok.channel = "c";
  ok.epoch = "E";
  ok.offset = 4;
  ok.flags = kFlagHadSince | kFlagRecovered;
  s.on_datagram(server(ok), 2000);
  s.on_datagram(pub(2), 2000);  // replayed, already had it
  s.on_datagram(pub(3), 2000);
  s.on_datagram(pub(4), 2000);
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.opened, 2);
}

TEST(ClientSession, UnansweredStepsAreSentAgainAndTheLeaseIsKept) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "E", 3}}, r);
  s.start(0);
  s.tick(kClientRetryMs - 1);
  EXPECT_EQ(r.sent.size(), 1u);
  s.tick(kClientRetryMs);
  EXPECT_EQ(r.sent.size(), 2u);
  EXPECT_EQ(r.last().type, Type::hello);
  Message cookie;
  cookie.type = Type::cookie;
  s.on_datagram(server(cookie), 600);
  Message opened;
  opened.type = Type::opened;
  opened.lease_ms = 3000;
  s.on_datagram(server(opened), 600);
  Message sub = r.last();
  EXPECT_EQ(sub.epoch, "E");  // the caller's cursor
  EXPECT_EQ(sub.offset, 3u);
  s.tick(600 + kClientRetryMs);
  EXPECT_EQ(r.last().type, Type::subscribe);  // unanswered: again
  Message ok;
  ok.type = Type::subscribed;
  ok.id = 1;
  ok.channel = "c";
  ok.epoch = "E";
  ok.offset = 3;
  ok.flags = kFlagHadSince | kFlagRecovered;
  s.on_datagram(server(ok), 1200);
  s.on_datagram(pub(4), 1200);
  // Publications keep coming: no probes, but a keepalive within a third of the lease.
  for (uint64_t t = 1200; t <= 2200; t += 10) {
    s.on_datagram(pub(4 + (t - 1200) / 10 + 1), t);
    s.tick(t);
  }
  EXPECT_EQ(r.last().type, Type::keepalive);
  EXPECT_EQ(s.stats().tail_probes, 0u);
}

TEST(ClientSession, ARefusedSubscribeIsAnErrorOfItsChannel) {
  Recorder r;
  ClientSession s(kSession, "", {{"a", "", 0}, {"c", "", 0}}, r);
  s.start(0);
  Message cookie;
  cookie.type = Type::cookie;
  s.on_datagram(server(cookie), 0);
  Message opened;
  opened.type = Type::opened;
  opened.lease_ms = 30000;
  s.on_datagram(server(opened), 0);
  Message err;
  err.type = Type::error;
  err.id = 1;
  err.code = 403;
  err.message = "permission denied";
  s.on_datagram(server(err), 0);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].first, 0u);
  EXPECT_EQ(r.errors[0].second, 403);
  Message foreign = {};
  foreign.type = Type::reset;
  foreign.session = kSession + 1;
  std::string bytes;
  encode(foreign, &bytes);
  s.on_datagram(bytes, 0);  // another session's: ignored
  EXPECT_EQ(s.stats().undecodable, 1u);
  EXPECT_EQ(s.stats().resets, 0u);
}

}  // namespace
}  // namespace herald::udp_codec

namespace herald::udp_codec {
namespace {

TEST(ClientSession, ANewEpochRestartsTheStreamAndALateDatagramOfTheOldOneIsIgnored) {
  Recorder r;
  ClientSession s(kSession, "", {{"c", "", 0}}, r);
  handshake(s, r, 0);
  s.on_datagram(pub(1), 1000);
  s.on_datagram(pub(3), 1000);       // 2 missing in E
  s.on_datagram(pub(1, "F"), 1000);  // the stream restarted as F: E's gap is gone
  EXPECT_EQ(r.lost, 1u);
  s.on_datagram(pub(2), 1000);  // late, of the stream left behind
  s.on_datagram(pub(2, "F"), 1000);
  EXPECT_EQ(r.delivered, (std::vector<uint64_t>{1, 3, 1, 2}));
  EXPECT_EQ(s.tracker(0).epoch(), "F");
}

}  // namespace
}  // namespace herald::udp_codec
