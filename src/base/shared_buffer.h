#pragma once
// SharedBuffer: refcounted, immutable bytes. A message is encoded once per wire form into a
// SharedBuffer and every subscriber's output queue holds a reference (docs/design.md, "encode
// once"). The count is atomic because a publication crosses loops; copies are cheap (one
// increment).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::base {

class SharedBuffer {
 public:
  SharedBuffer() = default;
  /// Copies `bytes` into a new buffer.
  static SharedBuffer copy_of(std::string_view bytes);
  /// Allocates `size` writable bytes; `*out` points at them until the buffer is shared.
  /// The caller fills them before copying the buffer anywhere (holders read only the bytes
  /// they were told were written); it may write again only while its reference is the only
  /// one (use_count() == 1).
  static SharedBuffer allocate(size_t size, char** out);

  SharedBuffer(const SharedBuffer& o) noexcept : block_(o.block_) { retain(); }
  SharedBuffer(SharedBuffer&& o) noexcept : block_(o.block_) { o.block_ = nullptr; }
  SharedBuffer& operator=(const SharedBuffer& o) noexcept;
  // Inline: an output queue takes each delivered frame by a move (once per delivery).
  SharedBuffer& operator=(SharedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      block_ = o.block_;
      o.block_ = nullptr;
    }
    return *this;
  }
  ~SharedBuffer() { release(); }

  const char* data() const { return block_ ? payload() : nullptr; }
  size_t size() const { return block_ ? block_->size : 0; }
  bool empty() const { return size() == 0; }
  std::string_view view() const { return {data(), size()}; }
  explicit operator bool() const { return block_ != nullptr; }
  /// Drops this reference (the bytes are freed with the last one).
  void reset() { release(); }
  /// Number of holders (single-threaded use only: another thread may change it meanwhile).
  uint32_t use_count() const { return block_ ? block_->refs.load(std::memory_order_relaxed) : 0; }

 private:
  struct Block {
    std::atomic<uint32_t> refs;
    uint32_t size;
  };
  explicit SharedBuffer(Block* b) : block_(b) {}
  const char* payload() const { return reinterpret_cast<const char*>(block_ + 1); }
  void retain() const {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  // Inline: it runs once per delivery when a write completes; only the last holder calls out.
  void release() {
    if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
    block_ = nullptr;
  }
  void destroy();

  Block* block_ = nullptr;
};

}  // namespace herald::base
