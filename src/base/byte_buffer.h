#pragma once
// ByteBuffer: a growable byte buffer with a read cursor, used for connection input and for
// building output. Bounded by its owner (the connection checks `size()` against a limit).
#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace herald::base {

class ByteBuffer {
 public:
  explicit ByteBuffer(size_t reserve = 0) { data_.reserve(reserve); }

  /// Unread bytes.
  std::string_view readable() const {
    return {reinterpret_cast<const char*>(data_.data()) + read_, data_.size() - read_};
  }
  size_t size() const { return data_.size() - read_; }
  bool empty() const { return size() == 0; }
  /// Marks `n` bytes as read; compacts lazily.
  void consume(size_t n);
  void clear() {
    data_.clear();
    read_ = 0;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void append(const void* p, size_t n);
  /// Frees memory when the buffer is empty and large (idle connections stay small).
  void shrink_if_idle(size_t keep);

 private:
  std::vector<char> data_;
  size_t read_ = 0;
};

}  // namespace herald::base
