#include "tracker.h"

#include <algorithm>

namespace herald::bench {

void SeqTracker::start(uint64_t base) {
  *this = SeqTracker{};
  started_ = true;
  base_ = base;
  max_ = base;
}

SeqTracker::Outcome SeqTracker::record(uint64_t offset) {
  if (offset == max_ + 1) {
    max_ = offset;
    return Outcome::next;
  }
  if (offset > max_) {
    if (gaps_.size() == kMaxTrackedGaps) {
      forgotten_ += gaps_.front().second - gaps_.front().first + 1;
      gaps_.erase(gaps_.begin());
    }
    gaps_.emplace_back(max_ + 1, offset - 1);
    max_ = offset;
    return Outcome::ahead;
  }
  if (offset <= base_) {
    ++stale_;
    return Outcome::stale;
  }
  // At or below the highest: inside a gap (late) or already seen (duplicate).
  auto it = std::upper_bound(gaps_.begin(), gaps_.end(), offset,
                             [](uint64_t v, const auto& g) { return v < g.first; });
  if (it != gaps_.begin()) {
    auto g = std::prev(it);
    if (offset <= g->second) {
      ++out_of_order_;
      if (g->first == g->second) {
        gaps_.erase(g);
      } else if (offset == g->first) {
        ++g->first;
      } else if (offset == g->second) {
        --g->second;
      } else {
        uint64_t hi = g->second;
        g->second = offset - 1;
        gaps_.insert(std::next(g), {offset + 1, hi});
      }
      return Outcome::late;
    }
  }
  ++duplicates_;
  return Outcome::duplicate;
}

uint64_t SeqTracker::gaps_within(uint64_t a, uint64_t b) const {
  uint64_t n = 0;
  for (const auto& g : gaps_) {
    if (g.first > b) break;
    if (g.second < a) continue;
    n += std::min(g.second, b) - std::max(g.first, a) + 1;
  }
  return n;
}

SeqTracker::Counts SeqTracker::finish(uint64_t first, uint64_t last) const {
  Counts c;
  c.duplicates = duplicates_;
  c.out_of_order = out_of_order_;
  c.unexpected = stale_;
  if (first <= base_) first = base_ + 1;
  // Arrivals before the published range (another publisher, an old message).
  uint64_t below_top = std::min(max_, first - 1);
  if (below_top > base_) c.unexpected += (below_top - base_) - gaps_within(base_ + 1, below_top);
  if (last < first) {
    if (max_ >= first) c.unexpected += (max_ - first + 1) - gaps_within(first, max_);
    return c;
  }
  uint64_t top = std::min(max_, last);
  if (top >= first) {
    uint64_t gap = gaps_within(first, top);
    // Forgotten gaps lie below every remembered one: charge them to this range.
    uint64_t span = top - first + 1;
    gap += std::min(forgotten_, span - gap);
    c.delivered = span - gap;
  }
  c.missing = (last - first + 1) - c.delivered;
  if (max_ > last) c.unexpected += (max_ - last) - gaps_within(last + 1, max_);
  return c;
}

}  // namespace herald::bench
