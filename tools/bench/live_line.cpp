// The live progress line: "\rbench ws: 12/60 s, 48211 delivered".
#include "live_line.h"

#include <unistd.h>

#include <cstdio>

#include "base/time.h"

namespace herald::bench {

namespace {
constexpr uint64_t kLiveLineNs = 1'000'000'000;  // how often the line is rewritten
}  // namespace

LiveLine::LiveLine(const BenchOptions& o, const std::string& transport, uint64_t start_ns)
    : on_(!o.quiet && ::isatty(STDERR_FILENO) == 1),
      transport_(transport),
      start_ns_(start_ns),
      duration_(o.messages > 0 ? 0 : o.duration) {}

LiveLine::~LiveLine() {
  if (shown_) std::fputs("\n", stderr);
}

void LiveLine::tick(uint64_t delivered) {
  uint64_t now = base::monotonic_ns();
  if (!on_ || (shown_ && now < next_ns_)) return;
  next_ns_ = now + kLiveLineNs;
  shown_ = true;
  double s = double(now - start_ns_) / 1e9;
  auto n = static_cast<unsigned long long>(delivered);
  if (duration_ > 0)
    std::fprintf(stderr, "\rbench %s: %.0f/%.0f s, %llu delivered   ", transport_.c_str(), s,
                 duration_, n);
  else
    std::fprintf(stderr, "\rbench %s: %.0f s, %llu delivered   ", transport_.c_str(), s, n);
}

}  // namespace herald::bench
