#include <unistd.h>

#include <gtest/gtest.h>

#include "tools/bench/engine.h"
#include "tools/bench/report.h"
#include "tools/bench/result.h"

namespace herald::bench {
namespace {

TEST(LatencyBuckets, PercentilesComeFromTheLogLinearHistogram) {
  // 990 deliveries at ~100 us and 10 at ~5 ms: p50 and p90 near 100 us, p99.9 near 5 ms, each
  // within the histogram's relative error (1/64).
  base::Histogram h;
  h.record(100'000, 990);
  h.record(5'000'000, 10);
  auto near = [](uint64_t got, double want) {
    return double(got) >= want && double(got) <= want * (1 + 1.0 / 64) + 1;
  };
  EXPECT_TRUE(near(h.percentile(0.5), 100'000)) << h.percentile(0.5);
  EXPECT_TRUE(near(h.percentile(0.9), 100'000));
  EXPECT_TRUE(near(h.percentile(0.999), 5'000'000)) << h.percentile(0.999);
  EXPECT_EQ(h.max(), 5'000'000u);
  EXPECT_EQ(format_ns(100'000), "100us");
  EXPECT_EQ(format_ns(1'500'000), "1.50ms");
  EXPECT_EQ(format_ns(2'500'000'000), "2.50s");
}

TransportResult sample_result(const char* transport, uint64_t missing) {
  TransportResult r;
  r.transport = transport;
  r.target = "herald";
  r.subscribers = r.ready = 10;
  r.published = 100;
  r.expected = 1000;
  r.delivered = 1000 - missing;
  r.missing = missing;
  r.sub_bytes_in = 150'000;
  r.sub_bytes_out = 10'000;
  r.requests = 500;
  r.elapsed_s = 2;
  r.server_sampled = true;
  r.server_cpu_s = 0.25;
  r.latency_ns.record(200'000, r.delivered);
  return r;
}

TEST(Report, CostsPerDelivery) {
  TransportResult r = sample_result("poll", 0);
  Costs c = costs_of(r);
  EXPECT_DOUBLE_EQ(c.down_bytes_per_msg, 150.0);
  EXPECT_DOUBLE_EQ(c.up_bytes_per_msg, 10.0);
  EXPECT_DOUBLE_EQ(c.requests_per_msg, 0.5);
  EXPECT_DOUBLE_EQ(c.server_cpu_ms_per_1k, 250.0);  // 250 ms of CPU for 1,000 deliveries
  EXPECT_DOUBLE_EQ(r.deliveries_per_s(), 500.0);
}

TEST(Report, JsonCarriesParametersFiguresAndVerdict) {
  RunReport rep;
  rep.options.subscribers = 10;
  rep.options.rate = 250;
  rep.runs.push_back(sample_result("ws", 0));
  rep.runs.push_back(sample_result("sse", 100));
  std::string j = to_json(rep);
  EXPECT_NE(j.find("\"rate\":250"), std::string::npos);
  EXPECT_NE(j.find("\"transport\":\"sse\",\"target\":\"herald\",\"clean\":false"),
            std::string::npos);
  EXPECT_NE(j.find("\"missing\":100"), std::string::npos);
  EXPECT_NE(j.find("\"server_cpu_ms_per_1000\":250"), std::string::npos);
  EXPECT_NE(j.find("\"buckets\":[["), std::string::npos);
  EXPECT_FALSE(rep.runs[1].clean());
  EXPECT_TRUE(rep.runs[0].clean());
}

TEST(Report, SvgIsStandaloneWithOneCurvePerTransport) {
  RunReport rep;
  rep.runs.push_back(sample_result("ws", 0));
  rep.runs.push_back(sample_result("longpoll", 0));
  std::string s = to_svg(rep);
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(s.find("</svg>"), std::string::npos);
  size_t curves = 0;
  for (size_t at = 0; (at = s.find("<polyline", at)) != std::string::npos; ++at) ++curves;
  EXPECT_EQ(curves, 2u);
  EXPECT_NE(s.find("server CPU per 1,000 deliveries"), std::string::npos);
  EXPECT_NE(s.find(">longpoll</text>"), std::string::npos);
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = s.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

// The settings line under the title (class="settings").
std::string settings_of(const std::string& svg) {
  size_t at = svg.find("class=\"settings\">");
  if (at == std::string::npos) return "";
  at = svg.find('>', at) + 1;
  return svg.substr(at, svg.find("</text>", at) - at);
}

TEST(Report, SvgTitleNamesPollSettingsOnlyWhenAPollingTransportRan) {
  RunReport rep;
  rep.options.subscribers = 10;
  rep.options.poll_interval = 0.25;
  rep.options.longpoll_wait = 20;
  rep.runs.push_back(sample_result("ws", 0));
  rep.runs.push_back(sample_result("sse", 0));
  std::string push = settings_of(to_svg(rep));
  EXPECT_NE(push.find("10 subscribers"), std::string::npos) << push;
  EXPECT_EQ(push.find("poll"), std::string::npos) << push;
  rep.runs.push_back(sample_result("poll", 0));
  std::string polled = settings_of(to_svg(rep));
  EXPECT_NE(polled.find("poll every 0.25 s"), std::string::npos) << polled;
  EXPECT_EQ(polled.find("long-poll"), std::string::npos) << polled;
  rep.runs.push_back(sample_result("longpoll", 0));
  EXPECT_NE(settings_of(to_svg(rep)).find("long-poll wait 20 s"), std::string::npos);
}

TEST(Report, SvgLegendHasABandOfItsOwnAndBarsHaveValueAxes) {
  RunReport rep;
  for (const char* t : {"ws", "sse", "longpoll", "poll", "udp"})
    rep.runs.push_back(sample_result(t, 0));
  std::string s = to_svg(rep);
  EXPECT_EQ(count(s, "<g class=\"legend\">"), 1u);
  EXPECT_EQ(count(s, "class=\"legend-box\""), 1u);
  EXPECT_EQ(count(s, "class=\"plot-area\""), 1u);
  // The legend comes before the plot and nothing of the plot is inside the legend group.
  size_t legend_end = s.find("</g>", s.find("<g class=\"legend\">"));
  EXPECT_LT(legend_end, s.find("class=\"plot-area\""));
  EXPECT_EQ(s.substr(0, legend_end).find("<polyline"), std::string::npos);
  EXPECT_EQ(count(s, "<g class=\"value-axis\">"), 2u);  // bytes and CPU
  EXPECT_NE(s.find(">bytes per delivery</text>"), std::string::npos);
  EXPECT_NE(s.find(">CPU ms per 1,000 deliveries</text>"), std::string::npos);
  EXPECT_EQ(count(s, "class=\"bar\""), 10u);
  EXPECT_NE(s.find(">250 ms</text>"), std::string::npos);  // sample_result's CPU per 1,000
}

TEST(Report, SvgWithoutCpuSamplesSaysNotSampledAndDrawsNoCpuBars) {
  RunReport rep;
  rep.runs.push_back(sample_result("ws", 0));
  rep.runs.push_back(sample_result("sse", 0));
  for (auto& r : rep.runs) r.server_sampled = false;
  std::string s = to_svg(rep);
  EXPECT_NE(s.find("not sampled"), std::string::npos);
  EXPECT_EQ(s.find(" ms</text>"), std::string::npos) << "a CPU figure drawn for an unsampled run";
  EXPECT_EQ(count(s, "class=\"bar\""), 2u);             // the bytes chart's only
  EXPECT_EQ(count(s, "<g class=\"value-axis\">"), 1u);  // no axis of nothing
  // One sampled run of two: its bar, and "n/a" for the other.
  rep.runs[0].server_sampled = true;
  s = to_svg(rep);
  EXPECT_EQ(count(s, "class=\"bar\""), 3u);
  EXPECT_EQ(count(s, ">n/a</text>"), 1u);
  EXPECT_EQ(s.find("not sampled"), std::string::npos);
}

TEST(Proc, StatAndStatusParsing) {
  uint64_t ticks = 0;
  // comm with a space and a parenthesis; utime 700, stime 45.
  std::string stat = "42 (my (odd) srv) S 1 42 42 0 -1 4194560 1 0 0 0 700 45 0 0 20 0 3 0";
  ASSERT_TRUE(parse_proc_stat_ticks(stat, &ticks));
  EXPECT_EQ(ticks, 745u);
  EXPECT_FALSE(parse_proc_stat_ticks("garbage", &ticks));
  std::string status = "Name:\therald\nVmHWM:\t   9000 kB\nVmRSS:\t    8123 kB\n";
  EXPECT_EQ(parse_status_kb(status, "VmRSS"), 8123u);
  EXPECT_EQ(parse_status_kb(status, "VmHWM"), 9000u);
  EXPECT_EQ(parse_status_kb(status, "VmSwap"), 0u);
  ProcSample self = sample_process(getpid());
  EXPECT_TRUE(self.ok);
  EXPECT_GT(self.rss_kb, 0u);
  EXPECT_FALSE(sample_process(-1).ok);
}

TEST(Options, UrlsPresetsAndValidation) {
  auto ep = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "127.0.0.1:8080");
  EXPECT_EQ(ep->addr.port(), 8080);
  auto echo = parse_url("ws://localhost:9000/echo");
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->path, "/echo");
  EXPECT_FALSE(ep->tls);
  auto secure = parse_url("https://127.0.0.1:8443");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->name, "127.0.0.1");
  EXPECT_EQ(secure->host, "127.0.0.1:8443");
  auto wss = parse_url("wss://[::1]");
  ASSERT_TRUE(wss.ok());
  EXPECT_EQ(wss->addr.port(), 443);
  EXPECT_EQ(wss->name, "::1");
  EXPECT_FALSE(parse_url("ftp://127.0.0.1:1").ok());
  BenchOptions o;
  ASSERT_TRUE(apply_preset("fanout", o));
  EXPECT_EQ(o.channels, 1);
  ASSERT_TRUE(apply_preset("chat", o));
  EXPECT_GT(o.channels, 1);
  EXPECT_FALSE(apply_preset("nope", o));
  EXPECT_EQ(format_seconds(30), "30");
  EXPECT_EQ(format_seconds(0.25), "0.25");
}

}  // namespace
}  // namespace herald::bench
