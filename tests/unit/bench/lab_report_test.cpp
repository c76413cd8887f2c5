// The fair-defaults arithmetic, verdicts, and the lab's part of the reports (no lab needed:
// results are built by hand).
#include <gtest/gtest.h>

#include "tools/bench/bench.h"
#include "tools/bench/report.h"
#include "tools/bench/result.h"
#include "tools/bench/runner.h"

namespace herald::bench {
namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = s.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

TEST(PollInterval, AutoFitsHalfTheHistoryBetweenItsBounds) {
  BenchOptions o;
  o.rate = 100;  // compare's default: 50 messages per 0.5 s poll, half the default history
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), 0.5);
  o.rate = 10;
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), kMaxAutoPollInterval);
  o.rate = 100'000;  // nothing fits: the minimum, and the poller's losses become a limit
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), kMinAutoPollInterval);
  o.rate = 1000;
  o.history_size = 2000;  // a known, deeper history
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), kMaxAutoPollInterval);
  o.history_size = 0;
  o.channels = 4;  // 250 per channel: 0.2 s
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), 0.2);
  o.rate = 0;  // as fast as possible: unknown in advance
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), kMaxAutoPollInterval);
}

TEST(PollInterval, TheLinkRoundTripCountsAgainstTheHistory) {
  BenchOptions o;
  o.rate = 50;  // 1 s polls fit (50 <= 50) on loopback
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), 1.0);
  o.netem = "delay=100";  // a 0.2 s round trip: the answer's cursor is 0.2 s old
  EXPECT_DOUBLE_EQ(link_rtt_s(o), 0.2);
  EXPECT_DOUBLE_EQ(auto_poll_interval(o), 0.8);
  o.poll_interval = 1;
  EXPECT_DOUBLE_EQ(messages_per_poll(o), 60);
  EXPECT_EQ(history_size_for(o), 120);
  BenchOptions given;
  given.poll_interval = 3;
  resolve_poll_interval(given);
  EXPECT_EQ(given.poll_interval, 3);
  EXPECT_FALSE(given.poll_interval_auto);
  BenchOptions none;
  resolve_poll_interval(none);
  EXPECT_GT(none.poll_interval, 0);
  EXPECT_TRUE(none.poll_interval_auto);
}

TransportResult result(const char* transport, uint64_t missing, uint64_t skipped) {
  TransportResult r;
  r.transport = transport;
  r.subscribers = r.ready = 5;
  r.published = 1000;
  r.expected = 5000;
  r.delivered = 5000 - missing;
  r.missing = missing;
  r.unrecovered_messages = skipped;
  r.unrecovered = skipped ? 10 : 0;
  r.latency_ns.record(30'000'000, r.delivered);
  return r;
}

TEST(Verdict, OnlyHistoryLossesAreALimit) {
  EXPECT_EQ(result("ws", 0, 0).verdict(), Verdict::ok);
  EXPECT_EQ(result("poll", 4500, 4500).verdict(), Verdict::limit);
  EXPECT_EQ(result("poll", 4500, 4000).verdict(), Verdict::unclean);  // 500 lost otherwise
  TransportResult dup = result("poll", 4500, 4500);
  dup.duplicates = 1;
  EXPECT_EQ(dup.verdict(), Verdict::unclean);
  RunReport rep;
  rep.runs = {result("ws", 0, 0), result("poll", 4500, 4500)};
  EXPECT_EQ(exit_code(rep, false), 1);  // herald bench: a loss is a loss
  EXPECT_EQ(exit_code(rep, true), 0);   // compare: a measured limit is a result
  rep.runs.push_back(result("sse", 3, 0));
  EXPECT_EQ(exit_code(rep, true), 1);
}

TEST(Verdict, TheLimitNoteGivesTheArithmeticAndWhatWouldKeepUp) {
  BenchOptions o;
  o.rate = 1000;
  o.poll_interval = 1;
  o.netem = "delay=50";
  std::string note = limit_note(o, result("poll", 4500, 4500));
  EXPECT_NE(note.find("LIMIT poll: 1000/s over 1 channel(s) x (1 s interval + 0.1 s round trip) "
                      "= ~1100 messages per channel per poll against a history of 100 (assumed)"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("4500 of 5000 deliveries (90.0%)"), std::string::npos) << note;
  // 50 / 1000 - 0.1 s < 0: no interval keeps up over this round trip, only a deeper history.
  EXPECT_EQ(note.find("--poll-interval <="), std::string::npos) << note;
  EXPECT_NE(note.find("Keeps up with --history-size >= 2200"), std::string::npos) << note;
  o.netem.clear();
  EXPECT_NE(limit_note(o, result("poll", 4500, 4500))
                .find("Keeps up with --poll-interval <= 0.05 s or --history-size >= 2000"),
            std::string::npos);
  std::string ws = limit_note(o, result("ws", 200, 200));
  EXPECT_NE(ws.find("LIMIT ws: fell behind by more than the history (100 messages, assumed): 10 "
                    "resumes answered recovered:false and 200 of 5000 deliveries (4.0%)"),
            std::string::npos)
      << ws;
  // The arithmetic fits, yet the poller lost: its answers came late, and the note says so
  // instead of advising an interval that was already kept.
  o.rate = 100;
  o.history_size = 1000;
  std::string late = limit_note(o, result("poll", 300, 300));
  EXPECT_NE(late.find("~100 messages per channel per poll against a history of 1000, which fits - "
                      "but answers came later"),
            std::string::npos)
      << late;
  EXPECT_EQ(late.find("Keeps up with"), std::string::npos) << late;
  EXPECT_EQ(limit_note(o, result("ws", 0, 0)), "");
}

RunReport lab_report(const std::string& name, double loss) {
  RunReport rep;
  rep.options.subscribers = 5;
  rep.options.rate = 50;
  rep.options.poll_interval = 0.5;
  rep.lab.present = true;
  rep.lab.name = name;
  rep.lab.condition = netlab::Condition{25, 0, loss, 0};
  rep.lab.seed = 9;
  rep.lab.server_ip = "127.18.0.1";
  rep.lab.calibration.rounds = 3;
  rep.lab.calibration.relay_answered = 3;
  rep.lab.calibration.relay_rtt_ns.record(60'000, 3);
  rep.lab.calibration.loopback_rtt_ns.record(20'000, 3);
  for (const char* t : {"ws", "sse", "longpoll", "poll"}) {
    TransportResult r = result(t, 0, 0);
    r.link.present = true;
    r.link.relay.to_client.packets = 2000;
    r.link.relay.to_client.delivered_packets = 1000;
    r.link.relay.to_client.delivered_bytes = 1'000'000;
    r.link.relay.to_server.delivered_bytes = 250'000;
    r.link.relay.to_client.lost = uint64_t(loss * 10);
    r.link.server_tcp.ok = true;
    r.link.server_tcp.retrans_segs = 7;
    rep.runs.push_back(std::move(r));
  }
  return rep;
}

TEST(LabReport, JsonCarriesTheConditionCalibrationAndLinkFigures) {
  RunReport rep = lab_report("loss-1", 1);
  std::string j = to_json(rep);
  EXPECT_NE(j.find("\"lab\":{\"name\":\"loss-1\",\"netem\":\"delay=25,loss=1\""), std::string::npos)
      << j.substr(0, 800);
  EXPECT_NE(j.find("\"seed\":9"), std::string::npos);
  EXPECT_NE(j.find("\"added_p50_ns\":"), std::string::npos);
  EXPECT_NE(j.find("\"deliveries_per_packet\":5"), std::string::npos);      // 5000 / 1000
  EXPECT_NE(j.find("\"wire_bytes_per_delivery\":250"), std::string::npos);  // 1.25 MB / 5000
  EXPECT_NE(j.find("\"retrans_segs\":7"), std::string::npos);
  EXPECT_NE(j.find("\"client_tcp\":null"), std::string::npos);  // not read: said, not zero
  RunReport plain;
  plain.runs.push_back(result("ws", 0, 0));
  std::string p = to_json(plain);
  EXPECT_NE(p.find("\"lab\":null"), std::string::npos);
  EXPECT_NE(p.find("\"link\":null"), std::string::npos);
}

TEST(LabReport, TheMatrixHasAPanelPerConditionWithUnitsAndOneLegend) {
  std::vector<RunReport> reports = {lab_report("clean", 0), lab_report("loss-1", 1),
                                    lab_report("loss-5", 5)};
  std::string svg = to_svg_matrix("lossy", reports);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count(svg, "<polyline"), 12u);  // 4 transports x 3 panels
  EXPECT_EQ(count(svg, "publish -&gt; deliver latency (log scale)"), 3u);
  for (const char* name : {">clean</text>", ">loss-1</text>", ">loss-5</text>"})
    EXPECT_GE(count(svg, name), 2u) << name;      // panel title and bar group label
  EXPECT_EQ(count(svg, ">longpoll</text>"), 1u);  // one legend for everything
  EXPECT_NE(svg.find("ms (log scale)"), std::string::npos);
  EXPECT_NE(svg.find("TCP segments sent again per 1,000 deliveries"), std::string::npos);
  std::string j = to_json_matrix("lossy", reports);
  EXPECT_EQ(j.rfind("{\"tool\":\"herald bench\",\"compare\":true,\"preset\":\"lossy\"", 0), 0u);
  EXPECT_EQ(count(j, "\"report\":{\"tool\""), 3u);
  EXPECT_NE(j.find("{\"name\":\"loss-5\",\"netem\":\"delay=25,loss=5\""), std::string::npos);
}

}  // namespace
}  // namespace herald::bench
