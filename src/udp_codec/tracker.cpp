#include "udp_codec/tracker.h"

#include <algorithm>

namespace herald::udp_codec {

void StreamTracker::reset(std::string_view epoch, uint64_t through) {
  epoch_.assign(epoch);
  start_ = contiguous_ = end_ = through;
  above_.clear();
  gaps_.clear();
}

StreamTracker::Verdict StreamTracker::add(std::string_view epoch, uint64_t offset) {
  if (epoch_.empty()) return Verdict::old;
  if (epoch != epoch_) return Verdict::other_epoch;
  if (offset <= start_) return Verdict::old;
  if (offset <= contiguous_) return Verdict::duplicate;
  if (!above_.insert(offset).second) return Verdict::duplicate;
  end_ = std::max(end_, offset);
  advance();
  return Verdict::fresh;
}

void StreamTracker::extend(uint64_t offset) {
  if (!epoch_.empty()) end_ = std::max(end_, offset);
}

void StreamTracker::advance() {
  while (!above_.empty() && *above_.begin() == contiguous_ + 1) {
    ++contiguous_;
    above_.erase(above_.begin());
  }
}

void StreamTracker::skip_to(uint64_t through) {
  if (through <= contiguous_) return;
  contiguous_ = through;
  end_ = std::max(end_, through);
  above_.erase(above_.begin(), above_.upper_bound(through));
  advance();
}

size_t StreamTracker::due_resends(uint64_t now_ms, uint64_t reorder_ms, uint64_t retry_ms,
                                  uint16_t max_count, size_t max_ranges, std::vector<Range>* out) {
  if (complete()) {
    gaps_.clear();
    return 0;
  }
  // Walk the gaps between what arrived; keep the state of gaps that still exist, forget the
  // rest (filled, or split by a fill: the halves start over).
  std::map<uint64_t, Gap> now_gaps;
  size_t added = 0;
  uint64_t prev = contiguous_;
  auto visit = [&](uint64_t next_have) {
    if (next_have <= prev + 1) return;
    auto it = gaps_.find(prev);
    Gap g = it != gaps_.end() ? it->second : Gap{now_ms, 0, false};
    bool waited = now_ms >= g.seen_ms + reorder_ms;
    bool not_recent = !g.asked || now_ms >= g.asked_ms + retry_ms;
    if (added < max_ranges && waited && not_recent) {
      uint64_t n = std::min<uint64_t>(next_have - prev - 1, max_count);
      out->push_back(Range{prev, uint16_t(n)});
      g.asked_ms = now_ms;
      g.asked = true;
      ++added;
    }
    now_gaps.emplace(prev, g);
  };
  for (uint64_t have : above_) {
    visit(have);
    prev = have;
  }
  visit(end_ + 1);
  gaps_ = std::move(now_gaps);
  return added;
}

}  // namespace herald::udp_codec
