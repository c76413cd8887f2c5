#include "svg_draw.h"

#include <cmath>
#include <cstdio>

namespace herald::bench::svg {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

void text(std::string& o, double x, double y, const std::string& s, const char* anchor, int size,
          const char* extra) {
  char b[200];
  std::snprintf(b, sizeof b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s>",
                x, y, size, anchor, extra);
  o += b;
  o += esc(s);
  o += "</text>\n";
}

void line(std::string& o, double x1, double y1, double x2, double y2, const char* stroke,
          const char* extra) {
  char b[240];
  std::snprintf(b, sizeof b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>\n", x1, y1,
                x2, y2, stroke, extra);
  o += b;
}

void rect(std::string& o, double x, double y, double w, double h, const char* fill,
          const char* extra) {
  char b[300];
  std::snprintf(b, sizeof b,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>\n", x,
                y, w, h, fill, extra);
  o += b;
}

void open(std::string& o, int width, int height) {
  char b[256];
  std::snprintf(b, sizeof b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                width, height, width, height);
  o += b;
}

double nice_step(double hi) {
  if (hi <= 0) return 1;
  double raw = hi / 4, p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

void vertical_text(std::string& o, double x, double y, const std::string& s, int size) {
  char rot[96];
  std::snprintf(rot, sizeof rot, " transform=\"rotate(-90 %.1f %.1f)\"", x, y);
  text(o, x, y, s, "middle", size, rot);
}

double value_axis(std::string& o, double x0, double top, double w, double h, double hi,
                  const std::string& unit) {
  if (hi <= 0) hi = 1;
  double step = nice_step(hi);
  hi = std::ceil(hi / step - 1e-9) * step;
  o += "<g class=\"value-axis\">\n";
  char b[32];
  for (int i = 0; double(i) * step <= hi + step / 2; ++i) {
    double v = double(i) * step, y = top + h - h * v / hi;
    line(o, x0, y, x0 + w, y, "#eee");
    std::snprintf(b, sizeof b, "%g", v);
    text(o, x0 - 4, y + 4, b, "end", 9);
  }
  line(o, x0, top, x0, top + h, "#333");
  vertical_text(o, x0 - 40, top + h / 2, unit);
  o += "</g>\n";
  return hi;
}

}  // namespace herald::bench::svg
