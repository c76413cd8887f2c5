#pragma once
// Per subscriber, per channel accounting of what arrived against what was published: every
// offset (or payload sequence number) after the subscriber's starting point up to the last one
// published must arrive exactly once. The common case (the next offset) costs one compare.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace herald::bench {

/// Gaps remembered to tell a late arrival (out of order) from a duplicate; past this, the
/// oldest gap is forgotten and a late arrival into it counts as a duplicate.
inline constexpr size_t kMaxTrackedGaps = 4096;

class SeqTracker {
 public:
  enum class Outcome { next, ahead, late, duplicate, stale };

  /// Starts counting after `base` (the subscriber's cursor offset at subscribe time; 0 for a
  /// fresh sequence). Forgets everything recorded before.
  void start(uint64_t base);
  /// Records one arrival:
  ///   next       the offset after the highest seen (in order)
  ///   ahead      past it: the offsets in between become a gap (missing unless they come later)
  ///   late       inside a gap: arrived out of order (counted as delivered)
  ///   duplicate  already delivered
  ///   stale      at or before the starting point (not part of this run)
  Outcome record(uint64_t offset);

  bool started() const { return started_; }
  uint64_t base() const { return base_; }
  uint64_t highest() const { return max_; }

  struct Counts {
    uint64_t delivered = 0;  // distinct offsets in (base, last] received
    uint64_t missing = 0;    // offsets in (base, last] never received
    uint64_t duplicates = 0;
    uint64_t out_of_order = 0;  // late arrivals
    uint64_t unexpected = 0;    // past `last` (someone else published) or stale
  };
  /// The verdict once publishing ended: the run published offsets [first, last] on this
  /// subscriber's channel (first > base). Arrivals outside that range count as unexpected.
  Counts finish(uint64_t first, uint64_t last) const;

 private:
  bool started_ = false;
  uint64_t base_ = 0;
  uint64_t max_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t out_of_order_ = 0;
  uint64_t stale_ = 0;
  uint64_t forgotten_ = 0;  // missing offsets of gaps dropped past kMaxTrackedGaps
  /// Offsets in [a, b] (b <= max_) never received, as far as the remembered gaps say.
  uint64_t gaps_within(uint64_t a, uint64_t b) const;
  std::vector<std::pair<uint64_t, uint64_t>> gaps_;  // [first, last] missing, ascending
};

}  // namespace herald::bench
