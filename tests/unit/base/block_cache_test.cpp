#include "base/block_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace herald::base {
namespace {

TEST(BlockCache, AFreedSmallBlockServesTheNextSmallRequestOfAnySize) {
  BlockCache c;
  void* a = c.allocate(40);
  std::memset(a, 1, BlockCache::kSmallBlock);  // every small block has the full size
  c.release(a, 40);
  EXPECT_EQ(c.kept(), 1u);
  EXPECT_EQ(c.allocate(BlockCache::kSmallBlock), a);
  EXPECT_EQ(c.kept(), 0u);
  c.release(a, BlockCache::kSmallBlock);
}

TEST(BlockCache, LargeBlocksAreNeverKept) {
  BlockCache c;
  void* big = c.allocate(BlockCache::kSmallBlock + 1);
  c.release(big, BlockCache::kSmallBlock + 1);
  EXPECT_EQ(c.kept(), 0u);
}

TEST(BlockCache, KeepsAtMostItsLimitAndFreesTheRest) {
  BlockCache c;
  std::vector<void*> blocks;
  for (size_t i = 0; i < BlockCache::kMaxBlocks + 10; ++i) blocks.push_back(c.allocate(16));
  for (void* b : blocks) c.release(b, 16);
  EXPECT_EQ(c.kept(), BlockCache::kMaxBlocks);
  // The kept ones (the first kMaxBlocks released) are handed out again, newest first.
  void* again = c.allocate(16);
  EXPECT_EQ(again, blocks[BlockCache::kMaxBlocks - 1]);
  EXPECT_EQ(c.kept(), BlockCache::kMaxBlocks - 1);
  c.release(again, 16);
}

TEST(BlockCache, ABlockFromAnotherThreadJoinsTheFreeingThreadsCache) {
  void* from_other = nullptr;
  std::thread([&] {
    BlockCache other;
    from_other = other.allocate(100);
  }).join();
  BlockCache here;
  here.release(from_other, 100);
  EXPECT_EQ(here.kept(), 1u);
  EXPECT_EQ(here.allocate(8), from_other);
  here.release(from_other, 8);
}

}  // namespace
}  // namespace herald::base

namespace herald::base {
namespace {

TEST(SmallBlockAllocator, MakesSharedObjectsThatFreeWithTheirLastOwner) {
  std::weak_ptr<std::string> gone;
  {
    auto s = std::allocate_shared<std::string>(SmallBlockAllocator<std::string>(), 40, 'x');
    gone = s;
    auto copy = s;
    EXPECT_EQ(*copy, std::string(40, 'x'));
  }
  EXPECT_TRUE(gone.expired());
  EXPECT_TRUE(SmallBlockAllocator<int>() == SmallBlockAllocator<char>());
}

}  // namespace
}  // namespace herald::base
