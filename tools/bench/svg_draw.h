#pragma once
// Drawing helpers for the hand-written SVG charts (svg.cpp, lab_svg.cpp): text, lines, boxes
// and a colour per transport, all appended to a string.
#include <string>

namespace herald::bench::svg {

/// One colour per series, in order (transports keep theirs across panels).
inline constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                          "#ff7f0e", "#9467bd", "#8c564b"};
inline const char* color(size_t i) {
  return kColors[i % 6];
}

/// XML-escapes `s`.
std::string esc(const std::string& s);
void text(std::string& o, double x, double y, const std::string& s, const char* anchor = "start",
          int size = 12, const char* extra = "");
void line(std::string& o, double x1, double y1, double x2, double y2, const char* stroke,
          const char* extra = "");
void rect(std::string& o, double x, double y, double w, double h, const char* fill);
/// The document's opening tag and a white background.
void open(std::string& o, int width, int height);

}  // namespace herald::bench::svg
