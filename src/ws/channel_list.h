#pragma once
// ChannelList: the channels one WebSocket session is subscribed to (pending ones included), for
// "already subscribed", "not subscribed" and max_subscriptions. Packed into one std::string as
// length-prefixed names, because almost every session has one channel: a name of up to 14
// bytes costs no heap block, a longer one a single small block, where a
// std::vector<std::string> cost a 24-byte header, a 48-byte chunk and the name's own block
// (~100 bytes per idle connection).
#include <cstddef>
#include <string>
#include <string_view>

namespace herald::ws {

class ChannelList {
 public:
  /// Longest name held (a channel name's limit, base::limits::kMaxChannelName).
  static constexpr size_t kMaxName = 255;

  bool contains(std::string_view name) const;
  size_t size() const;
  bool empty() const { return packed_.empty(); }
  /// Adds `name` (1..kMaxName bytes; the caller checks, and that it is not there yet).
  void add(std::string_view name);
  /// Removes `name` if present.
  void remove(std::string_view name);
  /// Removes every name and frees the storage.
  void clear() { std::string().swap(packed_); }

 private:
  /// Offset of `name`'s length byte, or npos.
  size_t find(std::string_view name) const;

  std::string packed_;  // for each name: one length byte, then the name
};

}  // namespace herald::ws
