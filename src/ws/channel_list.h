#pragma once
// ChannelList: the channels one WebSocket session asked for whose subscribe is not answered yet
// (the hub records the others), for "already subscribed", "not subscribed" and
// max_subscriptions. Length-prefixed names in one heap block, and no block at all while the
// list is empty, which is what an idle session has: it costs a pointer (8 bytes). Storing short
// names inline took 16; a std::vector<std::string>, a 24-byte header and a block per name.
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
  bool empty() const { return block_ == nullptr; }
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
  /// For each name: one length byte, then the name.
  std::string_view packed() const;
  /// Offset of `name`'s length byte, or npos.
  size_t find(std::string_view name) const;
  void set_size(uint32_t size);

  // A 4-byte size, then the packed names; the block holds at least capacity_for(4 + size)
  // bytes. Null while the list is empty.
  char* block_ = nullptr;
};

}  // namespace herald::ws
