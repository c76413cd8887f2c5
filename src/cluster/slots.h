#pragma once
// Redis Cluster routing (pure): the key slot of a name, the slot map from CLUSTER SLOTS, and
// the target of a MOVED / ASK redirection. Herald's keys of channel C all carry the hash tag
// {C}, so the slot of a channel is crc16(C) mod 16384 and every command about it goes to the
// master of that slot.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cluster/reply.h"
#include "net/address.h"

namespace herald::cluster {

inline constexpr uint32_t kClusterSlots = 16384;

/// CRC16-CCITT (XModem), the hash Redis Cluster uses.
uint16_t crc16(std::string_view bytes);
/// The slot of `key` with Redis's hash tag rule (the text between the first '{' and the next
/// '}', when not empty, is what is hashed).
uint32_t key_slot(std::string_view key);
/// The slot of every key of herald channel `channel` (its hash tag is the channel name).
inline uint32_t channel_slot(std::string_view channel) {
  return crc16(channel) % kClusterSlots;
}

/// Slot ranges and the master serving each, from CLUSTER SLOTS.
struct SlotMap {
  struct Range {
    uint32_t first = 0;
    uint32_t last = 0;
    net::Address master;
  };
  std::vector<Range> ranges;  // sorted by `first`

  /// The master serving `slot`, or nullptr when no range covers it.
  const net::Address* master_of(uint32_t slot) const;
  /// True when every slot is covered.
  bool complete() const;
};

/// Parses a CLUSTER SLOTS reply. A master announced with an empty host (a node that does not
/// know its own address) is given `asked`'s host. Errc::bad_request on any other shape.
base::Result<SlotMap> parse_cluster_slots(const Reply& r, const net::Address& asked);

/// A "-MOVED slot host:port" or "-ASK slot host:port" error.
struct Redirect {
  bool ask = false;
  uint32_t slot = 0;
  net::Address target;
};
/// The redirection an error reply asks for, or nullopt when it is not one (or is malformed).
std::optional<Redirect> parse_redirect(const Reply& r);

}  // namespace herald::cluster
