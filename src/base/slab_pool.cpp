#include "base/slab_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace herald::base {

namespace {
constexpr bool kForward = SlabPool::kForwardToHeap;
constexpr size_t kAlign = 16;

void* map_aligned_block() {
  // Map twice the size and cut off the excess on either side, so the block is aligned to its
  // size and a slot finds its block by masking.
  size_t len = 2 * SlabPool::kBlockBytes;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = (start + SlabPool::kBlockBytes - 1) & ~(SlabPool::kBlockBytes - 1);
  if (aligned > start) ::munmap(p, aligned - start);
  uintptr_t end = start + len, block_end = aligned + SlabPool::kBlockBytes;
  if (end > block_end) ::munmap(reinterpret_cast<void*>(block_end), end - block_end);
  return reinterpret_cast<void*>(aligned);
}
}  // namespace

size_t SlabPool::header_bytes() {
  return (sizeof(Block) + kAlign - 1) & ~(kAlign - 1);
}

SlabPool::SlabPool(size_t slot_bytes, bool forward_to_heap)
    : forward_(forward_to_heap),
      slot_bytes_((slot_bytes + kAlign - 1) & ~(kAlign - 1)),
      slots_per_block_(static_cast<uint32_t>((kBlockBytes - header_bytes()) / slot_bytes_)) {}

SlabPool::~SlabPool() {
  // Only empty blocks can be unmapped; a block with a live slot (an object that outlives its
  // thread's pool) stays mapped.
  with_room_.for_each([](Block& b) {
    if (b.used == 0) ::munmap(&b, kBlockBytes);
  });
}

SlabPool::Block* SlabPool::new_block() {
  void* mem = map_aligned_block();
  if (!mem) return nullptr;
  auto* b = new (mem) Block{this, {}, nullptr, 0, 0};
  ++blocks_;
  return b;
}

void* SlabPool::allocate() {
  if (forward_) return ::operator new(slot_bytes_, std::nothrow);
  Block* b = with_room_.front();
  if (!b) {
    b = new_block();
    if (!b) return nullptr;
    with_room_.push_front(*b);
  } else if (b->used == 0) {
    --empty_blocks_;
  }
  void* slot;
  if (b->free) {
    slot = b->free;
    b->free = *static_cast<void**>(slot);
  } else {
    slot = reinterpret_cast<char*>(b) + header_bytes() + size_t{b->carved} * slot_bytes_;
    ++b->carved;
  }
  ++b->used;
  if (!b->free && b->carved == slots_per_block_) with_room_.erase(*b);  // full
  return slot;
}

void SlabPool::deallocate(void* p) {
  if (!p) return;
  if constexpr (kForward) return ::operator delete(p);
  auto* b = reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(p) & ~(kBlockBytes - 1));
  b->owner->release(p);
}

void SlabPool::deallocate_own(void* p) {
  if (!p) return;
  if (forward_) return ::operator delete(p);
  release(p);
}

void SlabPool::release(void* p) {
  auto* b = reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(p) & ~(kBlockBytes - 1));
  *static_cast<void**>(p) = b->free;
  b->free = p;
  --b->used;
  if (!with_room_.contains(*b)) with_room_.push_front(*b);
  if (b->used > 0) return;
  if (empty_blocks_ < kKeepEmptyBlocks) {
    ++empty_blocks_;
    forget_slots(*b);
    return;
  }
  with_room_.erase(*b);
  --blocks_;
  ::munmap(b, kBlockBytes);
}

void SlabPool::forget_slots(Block& b) {
  // A block that stayed small (few slots live at once) makes no system call here.
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto base = reinterpret_cast<uintptr_t>(&b);
  uintptr_t from = (base + kKeepTouchedBytes + page - 1) & ~(page - 1);
  uintptr_t touched = base + header_bytes() + uintptr_t{b.carved} * slot_bytes_;
  uintptr_t to = (touched + page - 1) & ~(page - 1);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
  b.free = nullptr;
  b.carved = 0;
}

}  // namespace herald::base
