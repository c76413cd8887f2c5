#include "impairer.h"

#include <algorithm>
#include <cmath>

namespace herald::netlab {

namespace {
constexpr uint64_t kNsPerMs = 1'000'000;
// Mixed into the seed per direction, so that both directions never share a stream.
constexpr uint64_t kDirectionSalt = 0x5851f42d4c957f2dull;
constexpr uint64_t kCurveSalt = 0x2545f4914f6cdd1dull;
constexpr uint64_t kPointSalt = 0x9e3779b97f4a7c15ull;
}  // namespace

Impairer::Impairer(const Condition& c, uint64_t seed, int direction)
    : c_(c),
      rng_(seed ^ (kDirectionSalt * uint64_t(direction + 1))),
      curve_seed_(Rng(seed ^ (kCurveSalt * uint64_t(direction + 1))).next()) {}

double Impairer::jitter_at(uint64_t now_ns) const {
  if (c_.jitter_ms <= 0) return 0;
  double period_ns = std::max(kMinJitterPeriodMs, 4 * c_.jitter_ms) * double(kNsPerMs);
  double x = double(now_ns) / period_ns;
  double k = std::floor(x);
  // The curve's k-th point is a hash of the seed and k, so it needs no memory and any time
  // can be asked in any order.
  auto point = [this](uint64_t i) { return 2 * Rng(curve_seed_ ^ (i * kPointSalt)).uniform() - 1; };
  double a = point(uint64_t(k)), b = point(uint64_t(k) + 1);
  return c_.jitter_ms * (a + (b - a) * (x - k));
}

Fate Impairer::admit(uint64_t now_ns, size_t bytes) {
  double loss_draw = rng_.uniform();
  Fate f;
  if (loss_draw * 100.0 < c_.loss_pct) {
    f.kind = Fate::Kind::lost;
    return f;
  }
  uint64_t out = now_ns;
  if (c_.rate_kbps > 0) {
    uint64_t start = std::max(now_ns, link_free_ns_);
    if (start - now_ns > kLinkQueueMs * kNsPerMs) {
      f.kind = Fate::Kind::queue_full;
      return f;
    }
    // bits / (kbit/s) = ms; x 1e6 for ns.
    auto on_link = uint64_t(double(bytes) * 8.0 / c_.rate_kbps * double(kNsPerMs));
    link_free_ns_ = start + on_link;
    out = link_free_ns_;
    f.queued_ns = start - now_ns;
  }
  double delay_ms = c_.delay_ms + jitter_at(out);
  if (delay_ms > 0) out += uint64_t(std::llround(delay_ms * double(kNsPerMs)));
  f.release_ns = last_release_ns_ = std::max(out, last_release_ns_);
  return f;
}

}  // namespace herald::netlab
