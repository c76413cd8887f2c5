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

char* ChannelList::heap() const {
  char* p;
  std::memcpy(&p, bytes_, sizeof p);
  return p;
}

void ChannelList::set_heap(char* block, uint32_t size) {
  std::memcpy(bytes_, &block, sizeof block);
  std::memcpy(bytes_ + 8, &size, sizeof size);
  bytes_[kInline] = kOnHeap;
}

void ChannelList::set_inline(std::string_view packed) {
  std::memmove(bytes_, packed.data(), packed.size());
  bytes_[kInline] = static_cast<unsigned char>(packed.size());
}

std::string_view ChannelList::packed() const {
  if (!on_heap()) return {reinterpret_cast<const char*>(bytes_), bytes_[kInline]};
  uint32_t size;
  std::memcpy(&size, bytes_ + 8, sizeof size);
  return {heap(), size};
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
  char* out;
  if (!on_heap() && size <= kInline) {
    out = reinterpret_cast<char*>(bytes_);
    bytes_[kInline] = static_cast<unsigned char>(size);
  } else {
    char* block;
    if (on_heap()) {
      block = heap();
      if (size > capacity_for(old)) block = resize_block(block, capacity_for(size));
    } else {
      block = resize_block(nullptr, capacity_for(size));
      std::memcpy(block, bytes_, old);
    }
    set_heap(block, static_cast<uint32_t>(size));
    out = block;
  }
  out[old] = static_cast<char>(static_cast<unsigned char>(name.size()));
  std::memcpy(out + old + 1, name.data(), name.size());
}

void ChannelList::remove(std::string_view name) {
  size_t at = find(name);
  if (at == std::string_view::npos) return;
  std::string_view p = packed();
  size_t gone = 1 + name.size();
  char* data = const_cast<char*>(p.data());
  std::memmove(data + at, data + at + gone, p.size() - at - gone);
  size_t size = p.size() - gone;
  if (!on_heap()) {
    bytes_[kInline] = static_cast<unsigned char>(size);
  } else if (size <= kInline) {
    // Back inline: the block goes (a session that left its long-named channels).
    char* block = heap();
    set_inline({block, size});
    std::free(block);
  } else {
    set_heap(heap(), static_cast<uint32_t>(size));
  }
}

void ChannelList::clear() {
  if (on_heap()) std::free(heap());
  std::memset(bytes_, 0, sizeof bytes_);
}

}  // namespace herald::ws
