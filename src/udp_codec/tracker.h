#pragma once
// What a UDP subscriber knows about one channel's stream (pure, no I/O; the server never uses
// it, clients do): which offsets have arrived, how far the stream is known to reach, and which
// range to ask for again. Datagrams may be lost, duplicated or reordered; every publication
// datagram carries its offset, so a hole below the highest known offset is a gap, and a gap
// that stays open past a short reorder wait is asked for with a resend (udp_codec::Type::resend:
// `after` the contiguous prefix, `count` up to the next offset already held).
//
// Each offset is reported new exactly once (add() answers duplicate afterwards), so a client
// that acts only on `fresh` sees every publication once, gap fills included.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace herald::udp_codec {

class StreamTracker {
 public:
  enum class Verdict : uint8_t {
    fresh,        // first time this offset arrived
    duplicate,    // already had it (a resend raced the original, or the network duplicated)
    old,          // at or below where the tracker started, or before it started: not ours
    other_epoch,  // a publication of another generation of the stream (the caller reloads)
  };

  /// One range to ask for: the publications after `after`, `count` of them.
  struct Range {
    uint64_t after = 0;
    uint16_t count = 0;
  };

  /// Starts at `epoch:through` (everything up to `through` is known: a cursor). Until the first
  /// reset a tracker has no epoch and add() answers `old` (publications that overtook the
  /// subscribed reply are asked for again once the reply says where the stream is).
  void reset(std::string_view epoch, uint64_t through);
  bool started() const { return !epoch_.empty(); }
  /// A publication (pub or announce) at `offset` arrived.
  Verdict add(std::string_view epoch, uint64_t offset);
  /// The stream is known to reach `offset` (a subscribed / resent cursor): offsets up to it that
  /// have not arrived are missing.
  void extend(uint64_t offset);

  /// Appends to `*out` up to `max_ranges` gaps to ask for now: each open for `reorder_ms` (a
  /// datagram may only be late) and not asked for in the last `retry_ms`; a range covers at
  /// most `max_count` offsets. Records the asks. Returns how many it appended.
  size_t due_resends(uint64_t now_ms, uint64_t reorder_ms, uint64_t retry_ms, uint16_t max_count,
                     size_t max_ranges, std::vector<Range>* out);
  /// Gives up on everything up to `through` (fetched elsewhere, or declared lost): the
  /// prefix moves there.
  void skip_to(uint64_t through);

  const std::string& epoch() const { return epoch_; }
  /// Every offset up to this one has arrived (the cursor to resume from).
  uint64_t contiguous() const { return contiguous_; }
  /// The highest offset known to exist.
  uint64_t end() const { return end_; }
  /// Offsets known to exist that have not arrived.
  uint64_t missing() const { return end_ - contiguous_ - above_.size(); }
  bool complete() const { return contiguous_ == end_; }

 private:
  void advance();

  struct Gap {
    uint64_t seen_ms = 0;   // first seen by due_resends
    uint64_t asked_ms = 0;  // last asked for
    bool asked = false;
  };

  std::string epoch_;
  uint64_t start_ = 0;            // the reset point: offsets at or below it are not ours
  uint64_t contiguous_ = 0;       // every offset <= this has arrived
  uint64_t end_ = 0;              // highest offset known to exist
  std::set<uint64_t> above_;      // arrived offsets above contiguous_ + 1
  std::map<uint64_t, Gap> gaps_;  // by the offset before the gap
};

}  // namespace herald::udp_codec
