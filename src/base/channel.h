#pragma once
// The names of the channel model (docs/protocol.md), shared by the codecs (proto) and the hub so
// that both speak one grammar:
//   - a channel is 1..limits::kMaxChannelName bytes of [A-Za-z0-9_.:@#=-], optionally
//     "namespace:rest"; after a '#' the name may also hold ',': that part lists the users a
//     user-limited channel is for ("dm:#alice,bob");
//   - a cursor for one channel is "epoch:offset": the epoch is 1..kMaxEpochLength bytes of
//     [A-Za-z0-9] (a stream's generation tag), the offset a decimal uint64 without sign or
//     leading zero ("0" itself is fine). An empty stream's cursor is "E:0".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::base {

/// True when `name` is a valid channel name. Every surface checks names with this before
/// touching the hub, and the hub checks again at its own door; a published name instead
/// travels as a ChannelName (below), judged once where it enters.
bool valid_channel(std::string_view name);

/// A channel name that passed valid_channel(), or none (empty). Only check() makes a non-empty
/// one, so what takes a ChannelName judges at most its emptiness: a published name is judged
/// once, where it enters (the body's parser, a query), not again at each layer it crosses on
/// its way to the engine. A view: the bytes stay the caller's.
class ChannelName {
 public:
  ChannelName() = default;
  /// `text` as a name when it is valid; an empty ChannelName otherwise.
  static ChannelName check(std::string_view text) {
    return valid_channel(text) ? ChannelName(text) : ChannelName();
  }
  bool empty() const { return text_.empty(); }
  std::string_view view() const { return text_; }
  // NOLINTNEXTLINE(google-explicit-constructor): a name reads as its text
  operator std::string_view() const { return text_; }

 private:
  explicit ChannelName(std::string_view text) : text_(text) {}
  std::string_view text_;
};

/// True when `c` may appear anywhere in a channel name (',' may appear only after a '#').
bool is_channel_char(char c);

/// The namespace of a channel: the part before the first ':', or empty when there is none.
/// The returned view points into `name`. "chat:room:1" -> "chat"; "news" -> "".
std::string_view channel_namespace(std::string_view name);

/// Longest epoch accepted in a cursor (ours are 8 characters).
inline constexpr size_t kMaxEpochLength = 16;

/// True when `epoch` is 1..kMaxEpochLength bytes of [A-Za-z0-9].
bool valid_epoch(std::string_view epoch);

/// Parses a cursor's offset: decimal digits, no sign, no leading zero, fits in uint64.
bool parse_offset(std::string_view digits, uint64_t* out);

/// Appends "epoch:offset" to `out` (no allocation beyond `out`'s growth).
void append_cursor(std::string& out, std::string_view epoch, uint64_t offset);

/// A position in one channel's stream: the last offset seen, in the stream called `epoch`.
struct Cursor {
  std::string epoch;
  uint64_t offset = 0;

  /// "epoch:offset".
  std::string str() const;
  /// Parses "epoch:offset" with the grammar above (anything else, including a sign, a leading
  /// zero, an overflow or trailing bytes, gives nullopt).
  static std::optional<Cursor> parse(std::string_view text);

  bool operator==(const Cursor&) const = default;
};

}  // namespace herald::base
