#pragma once
// The impairment model of one direction of the lab's link, pure: given a packet's size and
// arrival time it decides whether the packet is lost and, if not, when it leaves. No I/O and
// no clock of its own, so it is unit-tested with made-up packets and a made-up clock, and a
// seed makes it reproducible: the n-th packet of a direction draws the same random numbers
// whatever the machine did meanwhile.
//
// The path of a packet, in order:
//   1. loss: dropped with probability loss% (radio or wire loss, before the bottleneck);
//   2. bandwidth: a FIFO link of `rate` kbit/s - the packet waits for the link to finish the
//      packets ahead of it, then occupies it for its own size x 8 / rate (a token bucket one
//      packet deep); a packet that would wait longer than kLinkQueueMs is tail-dropped, as a
//      router's full buffer drops it;
//   3. delay: delay + jitter(t), where jitter(t) wanders between -jitter and +jitter along a
//      curve fixed by the seed - a new random point every max(kMinJitterPeriodMs, 4 x jitter)
//      ms, straight lines in between. Packets close together see nearly the same delay, as on
//      a real path whose queues fill and drain, and since the curve never falls faster than
//      half a millisecond per millisecond the order of packets is kept (TCP would take a
//      reordering for a loss). Independent draws per packet would not do: with order kept,
//      every packet would wait for the slowest of those just before it, and the delay of a
//      busy link would sit at delay + jitter.
#include <cstddef>
#include <cstdint>

#include "condition.h"

namespace herald::netlab {

/// Longest a packet may wait for a capped link before it is tail-dropped, milliseconds: the
/// bottleneck buffer, in time (at 1 Mbit/s about 62 KB; a buffer that grows with the link
/// keeps the queueing delay it can add the same at every cap).
inline constexpr uint64_t kLinkQueueMs = 500;
/// Shortest time between two points of the jitter curve, milliseconds.
inline constexpr double kMinJitterPeriodMs = 10;

/// splitmix64: tiny, fast and good enough for loss and jitter draws; seeded per direction.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

/// What happens to one packet.
struct Fate {
  enum class Kind { pass, lost, queue_full };
  Kind kind = Kind::pass;
  uint64_t release_ns = 0;  // pass: when it is handed to the other side
  uint64_t queued_ns = 0;   // pass: how long it waited for the capped link
};

class Impairer {
 public:
  /// `seed` and `direction` (0 = towards the server, 1 = towards the clients) make the stream
  /// of random draws; two directions with the same seed draw different numbers.
  Impairer(const Condition& c, uint64_t seed, int direction);

  /// Changes the condition from now on; the random stream and the link's queue carry over.
  void set_condition(const Condition& c) { c_ = c; }
  const Condition& condition() const { return c_; }

  /// Decides the fate of a packet of `bytes` that arrived at `now_ns` (non-decreasing from
  /// call to call). Every call draws exactly one random number, lost or not, so whether the
  /// n-th packet is lost depends on the seed alone, never on timing luck; its delay depends on
  /// the seed and the time it came.
  Fate admit(uint64_t now_ns, size_t bytes);
  /// The jitter at `now_ns`, milliseconds, within [-jitter, +jitter].
  double jitter_at(uint64_t now_ns) const;

 private:
  Condition c_;
  Rng rng_;
  uint64_t curve_seed_;
  uint64_t link_free_ns_ = 0;     // when the capped link has sent everything admitted so far
  uint64_t last_release_ns_ = 0;  // release time of the previous packet (order is kept)
};

}  // namespace herald::netlab
