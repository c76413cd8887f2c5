#pragma once
// BlockCache: a short free list of small heap blocks, one per thread (see SharedBuffer).
//
// Why: small buffers come and go once or more per message (a publish's payload, its push
// frame, an HTTP answer), and malloc with free cost ~130 instructions a pair, more than writing
// the bytes they hold. Blocks of up to kSmallBlock bytes are all allocated at that size, so any
// freed one serves any later request; past kMaxBlocks a freed block goes back to malloc, so a
// cache holds at most 16 KiB. A block freed on another thread joins that thread's cache (the
// memory is malloc's either way).
#include <cstddef>
#include <cstdlib>
#include <new>

#include "base/sanitizer.h"

namespace herald::base {

class BlockCache {
 public:
  static constexpr size_t kSmallBlock = 256;
  static constexpr size_t kMaxBlocks = 64;

  BlockCache() = default;
  ~BlockCache();  // frees what it keeps
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  /// A block of at least `bytes` bytes: a kept one when `bytes` is small and one is kept, else
  /// from malloc (kSmallBlock bytes when small, so it can be kept later). nullptr when out of
  /// memory.
  void* allocate(size_t bytes) {
    if (bytes <= kSmallBlock && head_) {
      FreeBlock* b = head_;
      head_ = b->next;
      --count_;
      return b;
    }
    return allocate_slow(bytes);
  }
  /// Gives back a block from allocate(bytes) (of this cache or another): kept when small and
  /// there is room, else freed.
  void release(void* block, size_t bytes) {
    if (bytes > kSmallBlock || count_ >= kMaxBlocks) return free_block(block);
    auto* b = static_cast<FreeBlock*>(block);
    b->next = head_;
    head_ = b;
    ++count_;
  }
  /// Blocks kept now.
  size_t kept() const { return count_; }

 private:
  static void* allocate_slow(size_t bytes);  // from malloc
  static void free_block(void* block);       // to malloc
  struct FreeBlock {
    FreeBlock* next;
  };
  FreeBlock* head_ = nullptr;
  size_t count_ = 0;
};

#ifndef HERALD_ASAN
/// The calling thread's cache, which small_block()/release_small_block() use.
inline thread_local BlockCache t_block_cache;
#endif

/// `bytes` from the calling thread's cache (under AddressSanitizer from malloc, so lifetime
/// errors are still found). nullptr when out of memory.
inline void* small_block(size_t bytes) {
#ifndef HERALD_ASAN
  return t_block_cache.allocate(bytes);
#else
  return std::malloc(bytes);
#endif
}
/// Gives back a block from small_block(bytes), on any thread.
inline void release_small_block(void* block, size_t bytes) {
#ifndef HERALD_ASAN
  t_block_cache.release(block, bytes);
#else
  (void)bytes;
  std::free(block);
#endif
}

/// A standard allocator over small_block(), for std::allocate_shared of objects made once per
/// message (a publication).
template <typename T>
struct SmallBlockAllocator {
  using value_type = T;
  SmallBlockAllocator() = default;
  template <typename U>
  SmallBlockAllocator(const SmallBlockAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    void* p = small_block(n * sizeof(T));
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept { release_small_block(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const SmallBlockAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace herald::base
