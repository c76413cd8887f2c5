#pragma once
// PtrList: a list of pointers that is almost always of length one (a subscriber's channels on
// its loop): the one is held inline, a heap vector exists only from the second on. One word.
#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace herald::hub {

/// Pointers to objects at least 2-aligned (the low bit tags the heap vector).
template <typename T>
class PtrList {
 public:
  PtrList() = default;
  PtrList(PtrList&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  PtrList& operator=(PtrList&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
    }
    return *this;
  }
  PtrList(const PtrList&) = delete;
  PtrList& operator=(const PtrList&) = delete;
  ~PtrList() { release(); }

  std::span<T* const> items() const {
    if (std::vector<T*>* v = many()) return *v;
    if (!ptr_) return {};
    return {&ptr_, 1};
  }
  size_t size() const { return items().size(); }
  bool contains(T* p) const {
    std::span<T* const> all = items();
    return std::find(all.begin(), all.end(), p) != all.end();
  }
  void push_back(T* p) {
    if (!ptr_) {
      ptr_ = p;
      return;
    }
    if (!many()) {
      auto* v = new std::vector<T*>{ptr_};
      ptr_ = reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(v) | kMany);
    }
    many()->push_back(p);
  }
  /// Removes `p` (order is not kept); false when absent.
  bool erase(T* p) {
    if (std::vector<T*>* v = many()) {
      auto pos = std::find(v->begin(), v->end(), p);
      if (pos == v->end()) return false;
      *pos = v->back();
      v->pop_back();
      return true;
    }
    if (!ptr_ || ptr_ != p) return false;
    ptr_ = nullptr;
    return true;
  }

 private:
  // Low bit set: ptr_ is a std::vector<T*>* (both pointee types are at least 2-aligned).
  static constexpr uintptr_t kMany = 1;
  std::vector<T*>* many() const {
    auto bits = reinterpret_cast<uintptr_t>(ptr_);
    return (bits & kMany) ? reinterpret_cast<std::vector<T*>*>(bits & ~kMany) : nullptr;
  }
  void release() {
    delete many();
    ptr_ = nullptr;
  }
  T* ptr_ = nullptr;
};

}  // namespace herald::hub
