#include "ws/channel_list.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

#include "base/limits.h"

namespace herald::ws {

// Every valid channel name fits (one length byte).
static_assert(ChannelList::kMaxName == base::limits::kMaxChannelName);

namespace {

// A heap block grows by doubling, so a session subscribing to many channels reallocates
// O(log n) times; the size alone says how big the block is at least.
size_t capacity_for(size_t size) {
  return std::max<size_t>(32, std::bit_ceil(size));
}

char* resize_block(char* block, size_t bytes) {
  auto* p = static_cast<char*>(std::realloc(block, bytes));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace {
constexpr size_t kHeader = sizeof(uint32_t);
}  // namespace

void ChannelList::set_size(uint32_t size) {
  std::memcpy(block_, &size, sizeof size);
}

std::string_view ChannelList::packed() const {
  if (!block_) return {};
  uint32_t size;
  std::memcpy(&size, block_, sizeof size);
  return {block_ + kHeader, size};
}

size_t ChannelList::find(std::string_view name) const {
  std::string_view p = packed();
  for (size_t at = 0; at < p.size();) {
    size_t len = static_cast<unsigned char>(p[at]);
    if (p.substr(at + 1, len) == name) return at;
    at += 1 + len;
  }
  return std::string_view::npos;
}

bool ChannelList::contains(std::string_view name) const {
  return find(name) != std::string_view::npos;
}

size_t ChannelList::size() const {
  return count_if([](std::string_view) { return true; });
}

void ChannelList::add(std::string_view name) {
  size_t old = packed().size();
  size_t size = old + 1 + name.size();
  if (!block_ || kHeader + size > capacity_for(kHeader + old))
    block_ = resize_block(block_, capacity_for(kHeader + size));
  set_size(static_cast<uint32_t>(size));
  char* out = block_ + kHeader + old;
  out[0] = static_cast<char>(static_cast<unsigned char>(name.size()));
  std::memcpy(out + 1, name.data(), name.size());
}

void ChannelList::remove(std::string_view name) {
  size_t at = find(name);
  if (at == std::string_view::npos) return;
  std::string_view p = packed();
  size_t gone = 1 + name.size();
  size_t size = p.size() - gone;
  if (size == 0) return clear();  // the block goes with the last name
  char* data = block_ + kHeader;
  std::memmove(data + at, data + at + gone, p.size() - at - gone);
  set_size(static_cast<uint32_t>(size));
}

void ChannelList::clear() {
  std::free(block_);
  block_ = nullptr;
}

}  // namespace herald::ws
