#include "base/byte_buffer.h"

namespace herald::base {

void ByteBuffer::consume(size_t n) {
  read_ += n;
  if (read_ >= data_.size()) {
    data_.clear();
    read_ = 0;
  } else if (read_ > 4096 && read_ * 2 > data_.size()) {
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
}

void ByteBuffer::append(const void* p, size_t n) {
  if (n == 0) return;
  // insert copies straight in; resize would first zero the new bytes (a second pass over
  // every byte read, and every TLS record written).
  const char* c = static_cast<const char*>(p);
  data_.insert(data_.end(), c, c + n);
}

void ByteBuffer::shrink_if_idle(size_t keep) {
  if (empty() && data_.capacity() > keep) {
    std::vector<char>().swap(data_);
    read_ = 0;
  }
}

}  // namespace herald::base
