#pragma once
// Channel names and cursors (SPEC §2). A channel is 1-255 bytes of [A-Za-z0-9_.:@#=-],
// optionally `namespace:rest`; a cursor for one channel is `epoch:offset`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::hub {

/// True when `name` is a valid channel name (1..limits::kMaxChannelName bytes of the grammar).
bool valid_channel(std::string_view name);

/// The namespace of a channel: the text before the first ':' (empty when there is none).
std::string_view channel_namespace(std::string_view channel);

/// A stable 64-bit FNV-1a hash (std::hash may differ between builds; ownership must not).
uint64_t fnv1a(std::string_view bytes);

/// Longest epoch accepted in a cursor text (ours are 8 characters). Matches proto's cursor
/// grammar (proto::kMaxEpochLength), so every epoch an engine makes fits a multi-cursor.
inline constexpr size_t kMaxEpochLength = 16;

/// A position in one channel's stream: the last offset seen, in the stream called `epoch`.
/// An empty stream's cursor is `E:0`.
struct Cursor {
  std::string epoch;
  uint64_t offset = 0;

  /// "epoch:offset".
  std::string str() const;
  /// Parses "epoch:offset": epoch is 1..kMaxEpochLength bytes of [A-Za-z0-9], offset is
  /// decimal without sign or leading zero and fits in uint64. Anything else gives nullopt.
  static std::optional<Cursor> parse(std::string_view text);

  bool operator==(const Cursor&) const = default;
};

}  // namespace herald::hub
