// The chart of a network preset: one latency CDF panel per condition, side by side with the
// same axes (so a tail that grows from panel to panel is seen at a glance), one legend for the
// transports, and below them three grouped bar charts per condition - p99 latency (log
// scale), wire bytes per delivery, TCP segments sent again per 1,000 deliveries.
#include <algorithm>
#include <cmath>

#include "engine.h"
#include "report.h"
#include "svg_draw.h"

namespace herald::bench {

namespace {

constexpr int kPanelWidth = 300, kPanelGap = 40, kLeft = 70, kRight = 30;
constexpr int kTitleTop = 26, kLegendTop = 70, kCdfTop = 122, kCdfHeight = 260;
constexpr int kBarTop = 482, kBarHeight = 200, kBottom = 80;
constexpr double kLegendEntry = 110;

struct Axis {
  double lx0 = 3, lx1 = 6;  // log10(ns) of the x range
  double pos(double ns, double x0, double width) const {
    double l = std::log10(std::max(ns, 1.0));
    return x0 + width * (std::clamp(l, lx0, lx1) - lx0) / (lx1 - lx0);
  }
};

// One x range for every panel: from the smallest to the largest latency of any run.
Axis latency_axis(const std::vector<RunReport>& reports) {
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const RunReport& rep : reports)
    for (const auto& r : rep.runs) {
      if (r.latency_ns.count() == 0) continue;
      lo = std::min(lo, std::max<uint64_t>(r.latency_ns.min(), 1000));
      hi = std::max(hi, r.latency_ns.max());
    }
  if (hi == 0) lo = 1000, hi = 1'000'000;
  Axis a;
  a.lx0 = std::floor(std::log10(double(lo)));
  a.lx1 = std::ceil(std::log10(double(std::max(hi, lo + 1))));
  if (a.lx1 <= a.lx0) a.lx1 = a.lx0 + 1;
  return a;
}

// "100us", "10ms", "1s": the tick labels of a log axis in powers of ten.
std::string tick_ns(double ns) {
  static const char* kUnits[] = {"ns", "us", "ms", "s"};
  int u = 0;
  while (ns >= 1000 && u < 3) ns /= 1000, ++u;
  char b[32];
  std::snprintf(b, sizeof b, "%g%s", ns, kUnits[u]);
  return b;
}

void cdf_panel(std::string& o, const RunReport& rep, const Axis& ax, double x0) {
  double w = kPanelWidth, top = kCdfTop, h = kCdfHeight;
  auto ypos = [&](double q) { return top + h * (1 - q); };
  std::string title = rep.lab.name.empty() ? rep.lab.condition.to_string() : rep.lab.name;
  svg::text(o, x0 + w / 2, top - 22, title, "middle", 13, " font-weight=\"bold\"");
  svg::text(o, x0 + w / 2, top - 8, rep.lab.condition.to_string(), "middle", 10);
  for (int q = 0; q <= 10; q += 2) {
    svg::line(o, x0, ypos(q / 10.0), x0 + w, ypos(q / 10.0), "#ddd");
    svg::text(o, x0 - 5, ypos(q / 10.0) + 4, std::to_string(q * 10) + "%", "end", 10);
  }
  for (double l = ax.lx0; l <= ax.lx1 + 1e-9; l += 1) {
    double x = ax.pos(std::pow(10.0, l), x0, w);
    svg::line(o, x, top, x, top + h, "#ddd");
    svg::text(o, x, top + h + 14, tick_ns(std::pow(10.0, l)), "middle", 10);
  }
  svg::rect(o, x0, top, w, h, "none", " class=\"plot-area\"");
  svg::line(o, x0, top + h, x0 + w, top + h, "#333");
  svg::line(o, x0, top, x0, top + h, "#333");
  // Transports that lost messages are drawn too, but their curves leave out what they lost.
  std::string flagged;
  for (const auto& r : rep.runs)
    if (r.verdict() != Verdict::ok)
      flagged += (flagged.empty() ? "" : ", ") + r.transport + " " + verdict_name(r.verdict());
  if (!flagged.empty())
    svg::text(o, x0 + w - 4, top + h - 6, "* " + flagged, "end", 10, " fill=\"#b00\"");
  svg::line(o, x0, ypos(0.99), x0 + w, ypos(0.99), "#999", " stroke-dasharray=\"4 3\"");
  svg::text(o, x0 + w - 2, ypos(0.99) - 3, "p99", "end", 9);
  svg::text(o, x0 + w / 2, top + h + 30, "publish -> deliver latency (log scale)", "middle", 11);
  svg::vertical_text(o, x0 - 40, top + h / 2, "deliveries at or below");
  char b[64];
  for (size_t i = 0; i < rep.runs.size(); ++i) {
    const TransportResult& r = rep.runs[i];
    if (r.latency_ns.count() == 0) continue;
    std::string pts;
    uint64_t seen = 0;
    double total = double(r.latency_ns.count()), prev_y = ypos(0);
    for (auto [upper, n] : r.latency_ns.buckets()) {
      double x = ax.pos(double(upper), x0, w);
      std::snprintf(b, sizeof b, "%.1f,%.1f ", x, prev_y);
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

using Value = double (*)(const TransportResult&);

// Grouped bars: one group per condition, one bar per transport. `log_scale` for values that
// span decades (latency); the axis is labelled with `unit`.
void grouped_bars(std::string& o, const std::vector<RunReport>& reports, double x0, double w,
                  const std::string& title, const char* unit, Value value, bool log_scale) {
  double top = kBarTop, h = kBarHeight;
  svg::text(o, x0 + w / 2, top - 14, title, "middle", 12, " font-weight=\"bold\"");
  double hi = 0, lo = 1e300;
  for (const RunReport& rep : reports)
    for (const auto& r : rep.runs) {
      double v = value(r);
      hi = std::max(hi, v);
      if (v > 0) lo = std::min(lo, v);
    }
  if (hi <= 0) hi = 1;
  double step = svg::nice_step(hi);
  if (!log_scale) hi = std::ceil(hi / step) * step;
  double l0 = 0, l1 = 1;
  if (log_scale) {
    l0 = std::floor(std::log10(std::min(lo, hi)));
    l1 = std::ceil(std::log10(hi));
    if (l1 <= l0) l1 = l0 + 1;
  }
  auto height = [&](double v) {
    if (v <= 0) return 0.0;
    if (!log_scale) return h * v / hi;
    return h * (std::log10(v) - l0 + 0.15) / (l1 - l0 + 0.15);  // the smallest still shows
  };
  // Axis and its ticks, labelled with the unit.
  o += "<g class=\"value-axis\">\n";
  svg::line(o, x0, top, x0, top + h, "#333");
  svg::line(o, x0, top + h, x0 + w, top + h, "#333");
  char b[64];
  if (log_scale) {
    for (double l = l0; l <= l1 + 1e-9; l += 1) {
      double y = top + h - height(std::pow(10.0, l));
      svg::line(o, x0, y, x0 + w, y, "#eee");
      std::snprintf(b, sizeof b, "%g", std::pow(10.0, l));
      svg::text(o, x0 - 4, y + 4, b, "end", 9);
    }
  } else {
    for (double v = 0; v <= hi + step / 2; v += step) {
      double y = top + h - height(v);
      svg::line(o, x0, y, x0 + w, y, "#eee");
      std::snprintf(b, sizeof b, "%g", v);
      svg::text(o, x0 - 4, y + 4, b, "end", 9);
    }
  }
  svg::vertical_text(o, x0 - 40, top + h / 2, unit);
  o += "</g>\n";
  double group = w / double(std::max<size_t>(1, reports.size()));
  for (size_t c = 0; c < reports.size(); ++c) {
    const RunReport& rep = reports[c];
    size_t n = std::max<size_t>(1, rep.runs.size());
    double bw = group * 0.8 / double(n);
    for (size_t i = 0; i < rep.runs.size(); ++i) {
      double v = value(rep.runs[i]), bh = height(v);
      double x = x0 + group * double(c) + group * 0.1 + bw * double(i);
      svg::rect(o, x, top + h - bh, bw * 0.9, bh, svg::color(i), " class=\"bar\"");
      if (rep.runs[i].verdict() != Verdict::ok)
        svg::text(o, x + bw * 0.45, top + h - bh - 3, "*", "middle", 12, " fill=\"#b00\"");
    }
    svg::text(o, x0 + group * (double(c) + 0.5), top + h + 14, rep.lab.name, "middle", 10);
  }
}

double p99_ms(const TransportResult& r) {
  return double(r.latency_ns.percentile(0.99)) / 1e6;
}
double wire_bytes(const TransportResult& r) {
  const netlab::RelayStats& s = r.link.relay;
  return r.delivered ? double(s.to_client.delivered_bytes + s.to_server.delivered_bytes) /
                           double(r.delivered)
                     : 0;
}
double retrans_per_1k(const TransportResult& r) {
  double rtx = double(r.link.server_tcp.retrans_segs + r.link.client_tcp.retrans_segs);
  return r.delivered ? rtx * 1000 / double(r.delivered) : 0;
}

}  // namespace

std::string to_svg_matrix(const std::string& preset, const std::vector<RunReport>& reports) {
  size_t panels = std::max<size_t>(1, reports.size());
  int width = kLeft + int(panels) * kPanelWidth + int(panels - 1) * kPanelGap + kRight;
  width = std::max(width, 960);
  int height = kBarTop + kBarHeight + kBottom;
  std::string o;
  svg::open(o, width, height);
  const netlab::NetPreset* np = netlab::find_net_preset(preset);
  std::string title = "herald bench compare --preset " + preset;
  if (np) title += ": " + np->about;
  svg::text(o, width / 2.0, kTitleTop, title, "middle", 15, " font-weight=\"bold\"");
  if (!reports.empty()) {
    const BenchOptions& p = reports[0].options;
    const auto& runs = reports[0].runs;
    bool polled = std::any_of(runs.begin(), runs.end(),
                              [](const TransportResult& r) { return r.transport == "poll"; });
    std::string sub = std::to_string(p.subscribers) + " subscribers behind the link, " +
                      std::to_string(p.channels) + " channel(s), " + format_seconds(p.rate) +
                      " messages/s, " + std::to_string(p.payload) + " B; ";
    if (polled) sub += "poll interval " + format_seconds(p.poll_interval) + " s; ";
    sub += "delay and loss apply each way; seed " + std::to_string(reports[0].lab.seed);
    svg::text(o, width / 2.0, kTitleTop + 20, sub, "middle", 11, " class=\"settings\"");
    // The legend: one entry per transport, shared by every panel and chart, in a band of its
    // own between the title and the panels.
    o += "<g class=\"legend\">\n";
    svg::rect(o, kLeft, kLegendTop - 15, kLegendEntry * double(runs.size()), 21, "#fafafa",
              " stroke=\"#ccc\" class=\"legend-box\"");
    double x = kLeft + 8;
    for (size_t i = 0; i < runs.size(); ++i) {
      svg::line(o, x, kLegendTop - 4, x + 24, kLegendTop - 4, svg::color(i), " stroke-width=\"4\"");
      svg::text(o, x + 30, kLegendTop, runs[i].transport, "start", 12);
      x += kLegendEntry;
    }
    o += "</g>\n";
  }
  Axis ax = latency_axis(reports);
  for (size_t c = 0; c < reports.size(); ++c)
    cdf_panel(o, reports[c], ax, kLeft + double(c) * (kPanelWidth + kPanelGap));
  double chart_w = (width - kLeft - kRight - 2 * 60) / 3.0;
  grouped_bars(o, reports, kLeft, chart_w, "p99 latency", "ms (log scale)", p99_ms, true);
  grouped_bars(o, reports, kLeft + chart_w + 60, chart_w, "wire bytes per delivery (IP, both ways)",
               "bytes", wire_bytes, false);
  grouped_bars(o, reports, kLeft + 2 * (chart_w + 60), chart_w,
               "TCP segments sent again per 1,000 deliveries", "segments", retrans_per_1k, false);
  svg::text(o, kLeft, height - 20,
            "* the transport lost messages under that condition (LIMIT: the server's history no "
            "longer had them; NOT CLEAN: anything else): its figures leave them out",
            "start", 11, " fill=\"#b00\"");
  o += "</svg>\n";
  return o;
}

}  // namespace herald::bench
