#include "base/slab_pool.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <set>
#include <type_traits>
#include <vector>

namespace herald::base {
namespace {

TEST(SlabPool, SlotsAreDistinctWritableAndBlocksGoBackWhenEmpty) {
  SlabPool pool(600);
  std::vector<void*> slots;
  std::set<void*> seen;
  for (int i = 0; i < 1000; ++i) {  // ~10 blocks of 64 KiB
    void* p = pool.allocate();
    ASSERT_NE(p, nullptr);
    std::memset(p, i & 0xff, 600);
    EXPECT_TRUE(seen.insert(p).second);
    slots.push_back(p);
  }
  for (size_t i = 0; i < slots.size(); ++i)
    EXPECT_EQ(static_cast<unsigned char*>(slots[i])[599], i & 0xff);
  if (!SlabPool::kForwardToHeap) {
    EXPECT_GE(pool.blocks(), 9u);
  }
  for (void* p : slots) SlabPool::deallocate(p);
  // The storm has passed: at most the one spare block stays mapped.
  EXPECT_LE(pool.blocks(), SlabPool::kKeepEmptyBlocks);
  void* again = pool.allocate();
  ASSERT_NE(again, nullptr);
  SlabPool::deallocate(again);
}

TEST(SlabPool, AKeptEmptyBlockStartsOverAndGivesBackWhatABurstTouched) {
  // Not forwarded to the heap even under AddressSanitizer: this is about the blocks.
  SlabPool pool(256, /*forward_to_heap=*/false);
  std::vector<void*> slots;
  for (int i = 0; i < 200; ++i) {  // 50 KiB of one block: a burst
    void* p = pool.allocate();
    ASSERT_NE(p, nullptr);
    std::memset(p, 0xab, 256);
    slots.push_back(p);
  }
  ASSERT_EQ(pool.blocks(), 1u);
  auto block = reinterpret_cast<uintptr_t>(slots[0]) & ~(SlabPool::kBlockBytes - 1);
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto resident = [&](uintptr_t from, uintptr_t to) {
    std::vector<unsigned char> in((to - from + page - 1) / page);
    EXPECT_EQ(::mincore(reinterpret_cast<void*>(from), to - from, in.data()), 0);
    size_t n = 0;
    for (unsigned char c : in) n += c & 1;
    return n;
  };
  uintptr_t keep_end = block + SlabPool::kKeepTouchedBytes;
  uintptr_t burst_end = reinterpret_cast<uintptr_t>(slots.back()) + 256;
  EXPECT_EQ(resident(keep_end, burst_end & ~(page - 1)), (burst_end - keep_end) / page);
  for (void* p : slots) pool.deallocate_own(p);
  EXPECT_EQ(pool.blocks(), 1u);                                // kept for the next burst...
  EXPECT_EQ(resident(keep_end, burst_end & ~(page - 1)), 0u);  // ...without the burst's pages
  EXPECT_GT(resident(block, keep_end), 0u);                    // its first pages stay
  void* again = pool.allocate();  // carved from the start again, where pages are resident
  EXPECT_EQ(again, slots[0]);
  pool.deallocate_own(again);
}

struct Handler {
  virtual ~Handler() = default;
  virtual int id() const = 0;
};

// Deleted through a base with a virtual destructor, as connections and sessions are.
struct Pooled final : Handler, SlabAllocated<Pooled> {
  explicit Pooled(int i) : i_(i) {}
  int id() const override { return i_; }
  char bytes[200] = {};
  int i_;
};

TEST(SlabAllocated, NewAndDeleteGoThroughThePool) {
  static_assert(std::is_empty_v<SlabAllocated<Pooled>>, "the base adds no bytes");
  std::vector<std::unique_ptr<Handler>> all;
  for (int i = 0; i < 1000; ++i) all.push_back(std::make_unique<Pooled>(i));
  std::set<const void*> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(all[size_t(i)]->id(), i);
    EXPECT_TRUE(seen.insert(all[size_t(i)].get()).second);
  }
  if constexpr (!SlabPool::kForwardToHeap) {
    EXPECT_GE(SlabPool::local<sizeof(Pooled)>().blocks(), 3u);  // 1000 x 224 B in 64 KiB blocks
  }
  all.clear();
  if constexpr (!SlabPool::kForwardToHeap) {
    EXPECT_LE(SlabPool::local<sizeof(Pooled)>().blocks(), SlabPool::kKeepEmptyBlocks);
  }
}

}  // namespace
}  // namespace herald::base
