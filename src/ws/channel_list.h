#pragma once
// ChannelList: the channels one WebSocket session is subscribed to (pending ones included), for
// "already subscribed", "not subscribed" and max_subscriptions. Packed as length-prefixed names
// in 16 bytes of its own, because almost every session has one channel: names that fit in 15
// bytes with their length bytes (one name of up to 14 bytes) cost no heap block, more take a
// single block. A std::vector<std::string> cost a 24-byte header, a 48-byte chunk and the
// name's own block (~100 bytes per idle connection); a std::string, 32 bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::ws {

class ChannelList {
 public:
  /// Longest name held (a channel name's limit, base::limits::kMaxChannelName).
  static constexpr size_t kMaxName = 255;

  ChannelList() = default;
  ~ChannelList() { clear(); }
  ChannelList(const ChannelList&) = delete;
  ChannelList& operator=(const ChannelList&) = delete;

  bool contains(std::string_view name) const;
  size_t size() const;
  bool empty() const { return packed().empty(); }
  /// Adds `name` (1..kMaxName bytes; the caller checks, and that it is not there yet).
  void add(std::string_view name);
  /// Removes `name` if present.
  void remove(std::string_view name);
  /// Removes every name and frees the storage.
  void clear();
  /// How many names `pred(std::string_view)` holds for.
  template <typename Pred>
  size_t count_if(Pred pred) const {
    std::string_view p = packed();
    size_t n = 0;
    for (size_t at = 0; at < p.size(); at += 1 + static_cast<unsigned char>(p[at]))
      n += pred(p.substr(at + 1, static_cast<unsigned char>(p[at]))) ? 1 : 0;
    return n;
  }

 private:
  static constexpr size_t kInline = 15;
  static constexpr uint8_t kOnHeap = 0xFF;

  /// For each name: one length byte, then the name.
  std::string_view packed() const;
  /// Offset of `name`'s length byte, or npos.
  size_t find(std::string_view name) const;
  bool on_heap() const { return bytes_[kInline] == kOnHeap; }
  char* heap() const;
  void set_heap(char* block, uint32_t size);
  /// Stores `packed` (at most kInline bytes) inline.
  void set_inline(std::string_view packed);

  // Inline: bytes 0..14 hold the packed names and byte 15 their length. On the heap: bytes 0..7
  // the block's address, 8..11 the packed size, byte 15 kOnHeap; the block holds at least
  // capacity_for(size) bytes.
  alignas(8) unsigned char bytes_[16] = {};
};

}  // namespace herald::ws
