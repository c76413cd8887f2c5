// The SVG chart, written by hand so it opens in any browser with no other tool: a latency CDF per
// transport (log-scale x) and two bar charts of cost per message (bytes on the wire per delivery,
// server CPU per 1,000 deliveries).
//
// Top to bottom: the title and the run's settings, the legend in a band of its own (a legend
// inside the plot hides the curves it names), the CDF, then the bar charts with value axes.
#include <algorithm>
#include <cmath>

#include "engine.h"
#include "report.h"
#include "svg_draw.h"

namespace herald::bench {

namespace {

using svg::line;
using svg::text;
constexpr int kWidth = 900, kLeft = 80, kPlotWidth = 760;
constexpr int kLegendTop = 66, kLegendRow = 18, kLegendColumns = 2;
constexpr int kCdfHeight = 300;
// Below the CDF: its tick labels and axis title, then the bar charts' titles.
constexpr int kCdfToBars = 100;
constexpr int kBarHeight = 180, kBarWidth = 340, kBarGap = 80, kBottom = 50;

bool ran(const RunReport& rep, const char* transport) {
  return std::any_of(rep.runs.begin(), rep.runs.end(),
                     [&](const TransportResult& r) { return r.transport == transport; });
}

// The settings line under the title: the workload, and the poll settings only when a transport
// that uses them ran.
std::string settings_line(const RunReport& rep) {
  const BenchOptions& p = rep.options;
  std::string s = std::to_string(p.subscribers) + " subscribers, " + std::to_string(p.channels) +
                  " channel(s), rate " +
                  (p.rate > 0 ? format_seconds(p.rate) + "/s" : std::string("max")) + ", payload " +
                  std::to_string(p.payload) + " B";
  if (ran(rep, "poll")) s += ", poll every " + format_seconds(p.poll_interval) + " s";
  if (ran(rep, "longpoll")) s += ", long-poll wait " + format_seconds(p.longpoll_wait) + " s";
  if (rep.lab.present) s += "; link " + rep.lab.condition.to_string();
  return s;
}

using Value = double (*)(const TransportResult&);
using Shown = bool (*)(const TransportResult&);

bool delivered(const TransportResult& r) {
  return r.delivered > 0;
}
bool sampled(const TransportResult& r) {
  return r.server_sampled;
}

// One bar per transport over a value axis labelled `axis`; each bar is labelled with its value
// and `unit`. A run for which `shown` is false has
// no figure: it gets no bar, and "n/a" where its bar would stand; when no run has one, the panel
// says `absent` instead of drawing an axis of nothing.
void bars(std::string& o, const RunReport& rep, double x0, double top, const std::string& title,
          Value value, Shown shown, const char* unit, const std::string& axis,
          const std::string& absent) {
  double w = kBarWidth, h = kBarHeight;
  text(o, x0 + w / 2, top - 20, title, "middle", 13, " font-weight=\"bold\"");
  line(o, x0, top + h, x0 + w, top + h, "#333");
  size_t n = rep.runs.size();
  double slot = n ? w / double(n) : w;
  bool any = false;
  double hi = 0;
  for (const auto& r : rep.runs)
    if (shown(r)) any = true, hi = std::max(hi, value(r));
  if (!any) {
    text(o, x0 + w / 2, top + h / 2, absent, "middle", 12, " fill=\"#666\" class=\"absent\"");
  } else {
    hi = svg::value_axis(o, x0, top, w, h, hi, axis);
  }
  for (size_t i = 0; i < n; ++i) {
    const TransportResult& r = rep.runs[i];
    double x = x0 + slot * double(i) + slot * 0.2, mid = x + slot * 0.3;
    text(o, mid, top + h + 16, r.transport, "middle", 12);
    if (!shown(r)) {
      if (any) text(o, mid, top + h - 4, "n/a", "middle", 11, " fill=\"#666\"");
      continue;
    }
    double v = value(r), bh = h * v / hi;
    svg::rect(o, x, top + h - bh, slot * 0.6, bh, svg::color(i), " class=\"bar\"");
    char val[48];
    std::snprintf(val, sizeof val, v >= 100 ? "%.0f %s" : "%.3g %s", v, unit);
    text(o, mid, top + h - bh - 4, val, "middle", 11);
  }
}

double bytes_per_delivery(const TransportResult& r) {
  Costs c = costs_of(r);
  return c.down_bytes_per_msg + c.up_bytes_per_msg;
}
double cpu_per_1k(const TransportResult& r) {
  return costs_of(r).server_cpu_ms_per_1k;
}

// The legend band: one entry per transport (colour, name, p50, p99, max), in columns, inside a
// box above the plot. Returns the band's bottom.
double legend(std::string& o, const RunReport& rep) {
  size_t n = rep.runs.size();
  size_t rows = (n + kLegendColumns - 1) / kLegendColumns;
  double h = double(std::max<size_t>(rows, 1)) * kLegendRow + 8;
  o += "<g class=\"legend\">\n";
  svg::rect(o, kLeft, kLegendTop, kPlotWidth, h, "#fafafa",
            " stroke=\"#ccc\" class=\"legend-box\"");
  double col_w = double(kPlotWidth) / kLegendColumns;
  for (size_t i = 0; i < n; ++i) {
    const TransportResult& r = rep.runs[i];
    double x = kLeft + 10 + col_w * double(i % kLegendColumns);
    double y = kLegendTop + 4 + kLegendRow * double(i / kLegendColumns + 1) - 5;
    line(o, x, y - 4, x + 26, y - 4, svg::color(i), " stroke-width=\"3\"");
    std::string label = r.transport;
    if (r.latency_ns.count() > 0)
      label += "  p50 " + format_ns(r.latency_ns.percentile(0.5)) + "  p99 " +
               format_ns(r.latency_ns.percentile(0.99)) + "  max " + format_ns(r.latency_ns.max());
    else
      label += "  no deliveries";
    if (!r.clean()) label += "  (NOT CLEAN)";
    text(o, x + 32, y, label, "start", 11);
  }
  o += "</g>\n";
  return kLegendTop + h;
}

void cdf(std::string& o, const RunReport& rep, double top) {
  // x = log10(latency), from the smallest to the largest value seen.
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
  auto ypos = [&](double q) { return top + kCdfHeight * (1 - q); };
  svg::rect(o, kLeft, top, kPlotWidth, kCdfHeight, "none", " class=\"plot-area\"");
  for (int q = 0; q <= 10; q += 2) {
    double y = ypos(q / 10.0);
    line(o, kLeft, y, kLeft + kPlotWidth, y, "#ddd");
    text(o, kLeft - 6, y + 4, std::to_string(q * 10) + "%", "end", 11);
  }
  for (double l = lx0; l <= lx1 + 1e-9; l += 1) {
    double x = kLeft + kPlotWidth * (l - lx0) / (lx1 - lx0);
    line(o, x, top, x, top + kCdfHeight, "#ddd");
    text(o, x, top + kCdfHeight + 16, format_ns(uint64_t(std::pow(10.0, l))), "middle", 11);
  }
  line(o, kLeft, top + kCdfHeight, kLeft + kPlotWidth, top + kCdfHeight, "#333");
  line(o, kLeft, top, kLeft, top + kCdfHeight, "#333");
  text(o, kLeft + kPlotWidth / 2.0, top + kCdfHeight + 34, "publish -> deliver latency (log scale)",
       "middle");
  svg::vertical_text(o, kLeft - 50, top + kCdfHeight / 2.0, "deliveries at or below", 11);
  // The 99th percentile as a dashed reference line.
  line(o, kLeft, ypos(0.99), kLeft + kPlotWidth, ypos(0.99), "#999", " stroke-dasharray=\"4 3\"");
  text(o, kLeft + kPlotWidth - 2, ypos(0.99) - 3, "p99", "end", 10);
  char b[64];
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
    o += svg::color(i);
    o += "\" points=\"" + pts + "\"/>\n";
  }
}

}  // namespace

std::string to_svg(const RunReport& rep) {
  // The height follows the legend's rows, so the first pass only measures.
  std::string body;
  double cdf_top = legend(body, rep) + 20;
  cdf(body, rep, cdf_top);
  double bar_top = cdf_top + kCdfHeight + kCdfToBars;
  bars(body, rep, kLeft, bar_top, "bytes on the wire per delivery (both directions)",
       bytes_per_delivery, delivered, "B", "bytes per delivery", "no deliveries");
  bars(body, rep, kLeft + kBarWidth + kBarGap, bar_top, "server CPU per 1,000 deliveries",
       cpu_per_1k, sampled, "ms", "CPU ms per 1,000 deliveries",
       "not sampled (--server-pid PID, or --serve)");

  std::string o;
  svg::open(o, kWidth, int(bar_top) + kBarHeight + kBottom);
  text(o, kWidth / 2.0, 24,
       "herald bench (" + rep.options.target + "): publish -> deliver latency, cumulative",
       "middle", 15, " font-weight=\"bold\" class=\"title\"");
  text(o, kWidth / 2.0, 46, settings_line(rep), "middle", 12, " class=\"settings\"");
  o += body;
  o += "</svg>\n";
  return o;
}

}  // namespace herald::bench
