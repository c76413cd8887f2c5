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
void rect(std::string& o, double x, double y, double w, double h, const char* fill,
          const char* extra = "");
/// The document's opening tag and a white background.
void open(std::string& o, int width, int height);

/// A round step (1, 2 or 5 times a power of ten) that cuts [0, hi] into about four parts.
double nice_step(double hi);

/// The vertical value axis of a bar chart whose plot spans x0..x0+w and top..top+h, for values
/// 0..`hi` (linear): the axis line, a grid line and a label per tick, and `unit` written along
/// it, all inside <g class="value-axis">. Returns the value drawn at the top (hi rounded up to
/// a tick), the scale the bars must use.
double value_axis(std::string& o, double x0, double top, double w, double h, double hi,
                  const std::string& unit);

/// `s` written bottom to top, centred on (x, y): the label of a vertical axis.
void vertical_text(std::string& o, double x, double y, const std::string& s, int size = 10);

}  // namespace herald::bench::svg
