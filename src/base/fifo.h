#pragma once
// Fifo<T>: a first-in first-out queue on a vector with a head index. Unlike std::deque (whose
// libstdc++ default constructor allocates a 512-byte node and a map), an empty Fifo owns no
// memory, which matters for per-connection queues that are empty almost always (10,000 idle
// subscribers). Memory is released when the queue drains.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace herald::base {

template <typename T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  void push_back(T v) { items_.push_back(std::move(v)); }
  void pop_front() {
    items_[head_] = T();
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  /// Drops every element and frees the storage.
  void clear() {
    std::vector<T>().swap(items_);
    head_ = 0;
  }
  /// Removes the queued elements for which `pred` is true; keeps the order of the rest.
  template <typename Pred>
  size_t erase_if(Pred pred) {
    size_t before = size();
    auto first = items_.begin() + static_cast<std::ptrdiff_t>(head_);
    items_.erase(std::remove_if(first, items_.end(), pred), items_.end());
    if (empty()) clear();
    return before - size();
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace herald::base
