#include "base/byte_buffer.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace herald::base {

ByteBuffer::ByteBuffer(size_t reserve) {
  if (reserve) reserve_more(reserve);
}

ByteBuffer::~ByteBuffer() {
  if (cap_) std::free(data_);
}

ByteBuffer::ByteBuffer(ByteBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      cap_(std::exchange(o.cap_, 0)),
      read_(std::exchange(o.read_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& o) noexcept {
  if (this != &o) {
    if (cap_) std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    cap_ = std::exchange(o.cap_, 0);
    read_ = std::exchange(o.read_, 0);
  }
  return *this;
}

void ByteBuffer::consume(size_t n) {
  read_ += static_cast<uint32_t>(n < size() ? n : size());
  if (read_ == size_) {
    size_ = read_ = 0;
  } else if (read_ > 4096 && read_ * uint64_t(2) > size_) {
    std::memmove(data_, data_ + read_, size_ - read_);
    size_ -= read_;
    read_ = 0;
  }
}

void ByteBuffer::reserve_more(size_t n) {
  if (n > UINT32_MAX - size_t(size_)) throw std::length_error("ByteBuffer past 4 GiB");
  size_t need = size_ + n;
  if (need <= cap_) return;
  // Doubling, as std::vector grows: appends of a stream cost amortised O(1) a byte.
  size_t cap = cap_ * size_t(2);
  if (cap < need) cap = need;
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  auto* p = static_cast<char*>(std::realloc(cap_ ? data_ : nullptr, cap));
  if (!p) throw std::bad_alloc();
  if (lent()) std::memcpy(p, data_, size_);
  data_ = p;
  cap_ = static_cast<uint32_t>(cap);
}

void ByteBuffer::append(const void* p, size_t n) {
  if (n == 0) return;
  reserve_more(n);
  std::memcpy(data_ + size_, p, n);
  size_ += static_cast<uint32_t>(n);
}

void ByteBuffer::lend(char* p, size_t n) {
  assert(data_ == nullptr && cap_ == 0 && n <= UINT32_MAX);
  data_ = p;
  size_ = static_cast<uint32_t>(n);
  read_ = 0;
}

void ByteBuffer::settle() {
  if (!lent()) return;
  char* lent_data = data_ + read_;
  size_t n = size();
  data_ = nullptr;
  size_ = read_ = 0;
  if (n) append(lent_data, n);
}

void ByteBuffer::shrink_if_idle(size_t keep) {
  if (empty() && cap_ > keep) {
    std::free(data_);
    data_ = nullptr;
    size_ = cap_ = read_ = 0;
  }
}

}  // namespace herald::base
