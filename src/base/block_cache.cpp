#include "base/block_cache.h"

#include <cstdlib>

namespace herald::base {

BlockCache::~BlockCache() {
  while (head_) {
    FreeBlock* b = head_;
    head_ = b->next;
    std::free(b);
  }
  count_ = 0;
}

void* BlockCache::allocate_slow(size_t bytes) {
  return std::malloc(bytes <= kSmallBlock ? kSmallBlock : bytes);
}

void BlockCache::free_block(void* block) {
  std::free(block);
}

}  // namespace herald::base
