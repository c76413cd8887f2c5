#include "base/shared_buffer.h"
#include "base/block_cache.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace herald::base {

SharedBuffer SharedBuffer::allocate(size_t size, char** out) {
  void* mem = small_block(sizeof(Block) + size);
  if (!mem) throw std::bad_alloc();
  auto* b = new (mem) Block{};
  b->refs.store(1, std::memory_order_relaxed);
  b->size = static_cast<uint32_t>(size);
  *out = reinterpret_cast<char*>(b + 1);
  return SharedBuffer(b);
}

SharedBuffer SharedBuffer::copy_of(std::string_view bytes) {
  char* p = nullptr;
  SharedBuffer buf = allocate(bytes.size(), &p);
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return buf;
}

SharedBuffer& SharedBuffer::operator=(const SharedBuffer& o) noexcept {
  if (this != &o) {
    o.retain();
    release();
    block_ = o.block_;
  }
  return *this;
}

void SharedBuffer::destroy() {
  size_t bytes = sizeof(Block) + block_->size;
  block_->~Block();
  release_small_block(block_, bytes);
}

}  // namespace herald::base
