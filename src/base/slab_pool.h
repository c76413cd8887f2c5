#pragma once
// SlabPool: fixed-size slots for objects that come and go in bursts, carved from 64 KiB blocks
// mapped for the pool alone and unmapped when they empty.
//
// Why: what lives only while a connection is being set up (an HTTP session before its
// WebSocket or SSE upgrade) would otherwise sit in malloc's heap between the objects that stay
// (the connection, the session after the upgrade). After a connect storm - thousands of
// handshakes in flight together - their freed chunks are holes between long-lived objects that
// the heap cannot give back: measured, ~1.06 MB of free 608-byte chunks at 4,000 WebSockets,
// ~260 bytes per connection. From a pool of their own, the blocks empty when the storm has
// passed and go back to the system.
//
// One pool per thread per slot size (see `local()`), used by that thread. A slot goes back to
// the pool it came from, whichever thread frees it, which is safe only when that pool's thread
// is not running (at shutdown a worker's connections are deleted on the main thread after its
// loop thread ended): so pools are never destroyed. Under AddressSanitizer the pool forwards to
// operator new/delete, so lifetime errors are still found.
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "base/intrusive_list.h"
#include "base/sanitizer.h"

namespace herald::base {

class SlabPool {
 public:
#ifdef HERALD_ASAN
  static constexpr bool kForwardToHeap = true;
#else
  static constexpr bool kForwardToHeap = false;
#endif
  /// Block size and alignment: a slot's block is found by masking its address.
  static constexpr size_t kBlockBytes = 64 * 1024;
  /// Empty blocks kept mapped for the next burst (the rest are unmapped at once).
  static constexpr size_t kKeepEmptyBlocks = 1;
  /// Of a kept empty block, the bytes whose pages stay resident; the pages a burst touched
  /// beyond them go back to the system (a storm of thousands of handshakes would otherwise
  /// leave the whole block resident for good: 64 KiB, 16 bytes per connection at 4,000).
  static constexpr size_t kKeepTouchedBytes = 16 * 1024;

  /// `forward_to_heap`: take slots from operator new instead (what every pool does under
  /// AddressSanitizer); a test passes false to exercise the blocks there too.
  explicit SlabPool(size_t slot_bytes, bool forward_to_heap = kForwardToHeap);
  ~SlabPool();  // unmaps the empty blocks (local() pools are never destroyed)
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  /// A slot of slot_bytes (16-aligned), or nullptr when the system has no memory.
  void* allocate();
  /// Returns a slot from allocate() to the pool it came from (this one or another).
  static void deallocate(void* p);
  /// Returns a slot from this pool's allocate(), whatever `forward_to_heap` it was made with
  /// (deallocate() is for the pools made with the default, all of local()'s).
  void deallocate_own(void* p);

  /// Blocks currently mapped (for tests and accounting).
  size_t blocks() const {
    return blocks_;
  }

  /// The calling thread's pool for slots of `SlotBytes` (made on first use, lives as long as
  /// the thread).
  template <size_t SlotBytes>
  static SlabPool& local() {
    if constexpr (kForwardToHeap) {
      static SlabPool shared(SlotBytes);  // keeps no state: only forwards
      return shared;
    } else {
      static thread_local SlabPool* pool = new SlabPool(SlotBytes);  // never deleted (above)
      return *pool;
    }
  }

 private:
  // The block's header sits at its start; slots follow. Free slots form a list through their
  // first word; `carved` slots were ever handed out (the rest of the block is untouched, so its
  // pages are not faulted in until needed).
  struct Block {
    SlabPool* owner;
    ListHook<Block> room;  // on with_room_ while it has a free slot
    void* free;
    uint32_t used;
    uint32_t carved;
  };

  static size_t header_bytes();
  void release(void* p);
  Block* new_block();
  /// A kept empty block: its slots are carved from its start again, and the pages past
  /// kKeepTouchedBytes that a burst touched are given back.
  void forget_slots(Block& b);

  bool forward_;
  size_t slot_bytes_;
  uint32_t slots_per_block_;
  IntrusiveList<Block, &Block::room> with_room_;  // blocks that have a free slot
  size_t blocks_ = 0;
  size_t empty_blocks_ = 0;
};

/// Makes `new T` / `delete` take T's slots from the calling thread's SlabPool. For a final
/// class T made and deleted on one loop thread (or after that thread ended), derived from as
/// `class T final : ..., public base::SlabAllocated<T>` (an empty base: no bytes added).
template <typename T>
class SlabAllocated {
 public:
  static void* operator new(size_t) {
    static_assert(std::is_final_v<T>, "only a final class is always sizeof(T)");
    void* p = SlabPool::local<sizeof(T)>().allocate();
    if (!p) throw std::bad_alloc();  // as a plain new would
    return p;
  }
  static void operator delete(void* p) { SlabPool::deallocate(p); }
};

}  // namespace herald::base
