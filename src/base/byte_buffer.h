#pragma once
// ByteBuffer: a growable byte buffer with a read cursor, used for connection input and for
// building output. Bounded by its owner (the connection checks `size()` against a limit; a
// buffer holds less than 4 GiB). 24 bytes: every connection keeps one for its input, and an
// idle connection's is empty with no storage.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::base {

class ByteBuffer {
 public:
  explicit ByteBuffer(size_t reserve = 0);
  ~ByteBuffer();
  ByteBuffer(ByteBuffer&& o) noexcept;
  ByteBuffer& operator=(ByteBuffer&& o) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  /// Unread bytes.
  std::string_view readable() const { return {data_ + read_, size_t(size_ - read_)}; }
  size_t size() const { return size_ - read_; }
  bool empty() const { return size_ == read_; }
  /// Marks `n` bytes as read; compacts lazily.
  void consume(size_t n);
  void clear() { size_ = read_ = 0; }
  void append(std::string_view s) { append(s.data(), s.size()); }
  /// Throws std::length_error past 4 GiB, std::bad_alloc when memory runs out.
  void append(const void* p, size_t n);
  /// Frees memory when the buffer is empty and large (idle connections stay small).
  void shrink_if_idle(size_t keep);
  /// Lets an empty buffer that owns no storage read `n` bytes of the caller's memory in place
  /// (a connection's read lands in a per-thread scratch buffer: most reads are consumed whole,
  /// so copying them into storage of the connection's own, then freeing it, would be wasted).
  /// Reading and consume() work as usual; append() first copies into owned storage. The caller
  /// calls settle() before its memory changes.
  void lend(char* p, size_t n);
  /// Ends lend(): the unread bytes, if any, move to owned storage; otherwise the buffer holds
  /// no storage again. No effect on a buffer that is not lent.
  void settle();
  /// Bytes the buffer can hold without growing.
  size_t capacity() const { return cap_; }

 private:
  /// Room for `n` more bytes after size_.
  void reserve_more(size_t n);

  bool lent() const { return cap_ == 0 && data_ != nullptr; }

  char* data_ = nullptr;  // owned storage when cap_ > 0; lent memory when cap_ == 0
  uint32_t size_ = 0;     // bytes written, read ones included
  uint32_t cap_ = 0;
  uint32_t read_ = 0;
};

}  // namespace herald::base
