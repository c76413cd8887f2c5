// The SVG chart, written by hand so it opens in any browser with no other tool: a latency CDF per
// transport (log-scale x) and two bar charts of cost per message (bytes on the wire per delivery,
// server CPU per 1,000 deliveries).
#include <algorithm>
#include <cmath>

#include "engine.h"
#include "report.h"
#include "svg_draw.h"

namespace herald::bench {

namespace {

using svg::esc;
using svg::line;
using svg::text;
constexpr const char* const* kColors = svg::kColors;
constexpr int kWidth = 900;
constexpr int kCdfTop = 60, kCdfHeight = 300, kLeft = 80, kPlotWidth = 760;
constexpr int kBarTop = 470, kBarHeight = 180;

void bars(std::string& o, const RunReport& rep, double x0, double width, const std::string& title,
          double (*value)(const TransportResult&), const char* unit) {
  text(o, x0 + width / 2, kBarTop - 20, title, "middle", 13, " font-weight=\"bold\"");
  double top = 0;
  for (const auto& r : rep.runs) top = std::max(top, value(r));
  if (top <= 0) top = 1;
  line(o, x0, kBarTop + kBarHeight, x0 + width, kBarTop + kBarHeight, "#333");
  size_t n = rep.runs.size();
  double slot = n ? width / double(n) : width;
  for (size_t i = 0; i < n; ++i) {
    double v = value(rep.runs[i]);
    double h = kBarHeight * v / top;
    double x = x0 + slot * double(i) + slot * 0.2;
    char b[200];
    std::snprintf(b, sizeof b,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x,
                  kBarTop + kBarHeight - h, slot * 0.6, h, kColors[i % 6]);
    o += b;
    char val[48];
    std::snprintf(val, sizeof val, v >= 100 ? "%.0f %s" : "%.3g %s", v, unit);
    text(o, x + slot * 0.3, kBarTop + kBarHeight - h - 4, val, "middle", 11);
    text(o, x + slot * 0.3, kBarTop + kBarHeight + 16, rep.runs[i].transport, "middle", 12);
  }
}

double bytes_per_delivery(const TransportResult& r) {
  Costs c = costs_of(r);
  return c.down_bytes_per_msg + c.up_bytes_per_msg;
}
double cpu_per_1k(const TransportResult& r) {
  return costs_of(r).server_cpu_ms_per_1k;
}

}  // namespace

std::string to_svg(const RunReport& rep) {
  std::string o;
  char b[256];
  std::snprintf(b, sizeof b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"720\" "
                "viewBox=\"0 0 %d 720\" font-family=\"sans-serif\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                kWidth, kWidth);
  o += b;
  const BenchOptions& p = rep.options;
  std::string title = "herald bench: " + p.target + ", " + std::to_string(p.subscribers) +
                      " subscribers, " + std::to_string(p.channels) + " channel(s), rate " +
                      (p.rate > 0 ? format_seconds(p.rate) + "/s" : std::string("max")) +
                      ", payload " + std::to_string(p.payload) + " B, poll " +
                      format_seconds(p.poll_interval) + " s, long-poll wait " +
                      format_seconds(p.longpoll_wait) + " s";
  if (rep.lab.present) title += ", link " + rep.lab.condition.to_string();
  text(o, kWidth / 2.0, 24, title, "middle", 14, " font-weight=\"bold\"");
  text(o, kWidth / 2.0, 46, "publish -> deliver latency, cumulative", "middle", 13);

  // CDF axes: x = log10(latency), from the smallest to the largest value seen.
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& r : rep.runs) {
    if (r.latency_ns.count() == 0) continue;
    lo = std::min(lo, std::max<uint64_t>(r.latency_ns.min(), 1000));
    hi = std::max(hi, r.latency_ns.max());
  }
  if (hi == 0) lo = 1000, hi = 1'000'000;
  double lx0 = std::floor(std::log10(double(lo)));
  double lx1 = std::ceil(std::log10(double(std::max(hi, lo + 1))));
  if (lx1 <= lx0) lx1 = lx0 + 1;
  auto xpos = [&](double ns) {
    double l = std::log10(std::max(ns, 1.0));
    return kLeft + kPlotWidth * (std::clamp(l, lx0, lx1) - lx0) / (lx1 - lx0);
  };
  auto ypos = [&](double q) { return kCdfTop + kCdfHeight * (1 - q); };
  for (int q = 0; q <= 10; q += 2) {
    double y = ypos(q / 10.0);
    line(o, kLeft, y, kLeft + kPlotWidth, y, "#ddd");
    text(o, kLeft - 6, y + 4, std::to_string(q * 10) + "%", "end", 11);
  }
  for (double l = lx0; l <= lx1 + 1e-9; l += 1) {
    double x = kLeft + kPlotWidth * (l - lx0) / (lx1 - lx0);
    line(o, x, kCdfTop, x, kCdfTop + kCdfHeight, "#ddd");
    text(o, x, kCdfTop + kCdfHeight + 16, format_ns(uint64_t(std::pow(10.0, l))), "middle", 11);
  }
  line(o, kLeft, kCdfTop + kCdfHeight, kLeft + kPlotWidth, kCdfTop + kCdfHeight, "#333");
  line(o, kLeft, kCdfTop, kLeft, kCdfTop + kCdfHeight, "#333");
  text(o, kLeft + kPlotWidth / 2.0, kCdfTop + kCdfHeight + 34, "latency (log scale)", "middle");
  // The 99th percentile as a dashed reference line.
  line(o, kLeft, ypos(0.99), kLeft + kPlotWidth, ypos(0.99), "#999", " stroke-dasharray=\"4 3\"");
  text(o, kLeft + kPlotWidth, ypos(0.99) - 3, "p99", "end", 10);

  for (size_t i = 0; i < rep.runs.size(); ++i) {
    const TransportResult& r = rep.runs[i];
    if (r.latency_ns.count() == 0) continue;
    std::string pts;
    uint64_t seen = 0;
    double total = double(r.latency_ns.count());
    double prev_y = ypos(0);
    for (auto [upper, n] : r.latency_ns.buckets()) {
      double x = xpos(double(upper));
      std::snprintf(b, sizeof b, "%.1f,%.1f ", x, prev_y);  // a step: flat, then up
      pts += b;
      seen += n;
      prev_y = ypos(double(seen) / total);
      std::snprintf(b, sizeof b, "%.1f,%.1f ", x, prev_y);
      pts += b;
    }
    o += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"";
    o += kColors[i % 6];
    o += "\" points=\"" + pts + "\"/>\n";
    double ly = kCdfTop + 14 + 18.0 * double(i);
    line(o, kLeft + 14, ly - 4, kLeft + 40, ly - 4, kColors[i % 6], " stroke-width=\"3\"");
    text(o, kLeft + 46, ly,
         r.transport + "  p50 " + format_ns(r.latency_ns.percentile(0.5)) + "  p99 " +
             format_ns(r.latency_ns.percentile(0.99)) + "  max " + format_ns(r.latency_ns.max()) +
             (r.clean() ? "" : "  (NOT CLEAN)"),
         "start", 11);
  }

  bars(o, rep, kLeft, 340, "bytes on the wire per delivery (both directions)", bytes_per_delivery,
       "B");
  bool sampled = std::any_of(rep.runs.begin(), rep.runs.end(),
                             [](const TransportResult& r) { return r.server_sampled; });
  bars(o, rep, kLeft + 420, 340,
       sampled ? "server CPU ms per 1,000 deliveries"
               : "server CPU per 1,000 deliveries (not sampled: no --server-pid)",
       cpu_per_1k, "ms");
  o += "</svg>\n";
  return o;
}

}  // namespace herald::bench
