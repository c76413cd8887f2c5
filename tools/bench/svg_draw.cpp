#include "svg_draw.h"

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

void rect(std::string& o, double x, double y, double w, double h, const char* fill) {
  char b[200];
  std::snprintf(b, sizeof b,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y,
                w, h, fill);
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

}  // namespace herald::bench::svg
