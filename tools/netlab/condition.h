#pragma once
// A network condition for the lab: one-way delay, jitter, random loss and a bandwidth cap,
// applied to each direction of the link between the load generator and the server. Parsed
// from the --netem flag ("delay=20,jitter=5,loss=1,rate=1000") and named in presets.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace herald::netlab {

/// Largest --netem delay or jitter, milliseconds (a minute is already no network at all).
inline constexpr double kMaxDelayMs = 60'000;
/// Smallest non-zero bandwidth cap, kbit/s: below one byte per millisecond a 1,500-byte packet
/// occupies the link for more than a second and nothing meaningful is measured.
inline constexpr double kMinRateKbps = 8;
/// Largest bandwidth cap, kbit/s (10 Gbit/s; the relay cannot move more anyway).
inline constexpr double kMaxRateKbps = 10'000'000;

struct Condition {
  double delay_ms = 0;   // added to every packet, each direction (round trip = 2 x delay)
  double jitter_ms = 0;  // uniform in [-jitter, +jitter] on top of delay; order is kept
  double loss_pct = 0;   // each packet independently, each direction
  double rate_kbps = 0;  // 0: no cap; else a FIFO link of this rate, each direction

  /// True when the relay has nothing to do but forward (a condition of all zeros).
  bool empty() const { return delay_ms == 0 && jitter_ms == 0 && loss_pct == 0 && rate_kbps == 0; }
  /// The shortest --netem text that parses back to this condition; "none" when empty.
  std::string to_string() const;
  /// The round trip the condition adds at most without loss or queueing: 2 x (delay + jitter).
  double max_rtt_ms() const { return 2 * (delay_ms + jitter_ms); }
  bool operator==(const Condition&) const = default;
};

/// Parses "delay=MS,jitter=MS,loss=PCT,rate=KBPS" (any subset, any order; a unit suffix that
/// matches - "20ms", "1%", "500kbps" - is accepted) or "none". On error returns
/// Errc::bad_request and, when `why` is given, says which part is wrong.
base::Result<Condition> parse_condition(std::string_view spec, std::string* why = nullptr);

/// A condition with a short name, for presets and reports.
struct NamedCondition {
  std::string name;
  Condition condition;
};

/// A named set of conditions that `herald bench compare --preset NAME` runs one after the other
/// (one panel each in the chart).
struct NetPreset {
  std::string name;
  std::string about;  // one line: what the conditions stand for
  std::vector<NamedCondition> conditions;
};

/// The network presets: lossy, mobile, satellite, rtt, bandwidth (docs/netlab.md lists their
/// numbers).
const std::vector<NetPreset>& net_presets();
/// The preset named `name`, or nullptr.
const NetPreset* find_net_preset(std::string_view name);

}  // namespace herald::netlab
