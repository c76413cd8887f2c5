#include "base/slab_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
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

}  // namespace
}  // namespace herald::base
