#pragma once
// IntrusiveList: a doubly linked list threaded through its elements, for sets whose members
// come and go in any order and must leave in O(1) without an allocation: the connections of a
// loop, the members of the access gate, a pool's blocks with room, a timer wheel slot, the UDP
// leases in renewal order.
//
// An element holds one ListHook per list it can be on, and the list is named by that hook:
// `IntrusiveList<Connection, &Connection::set_hook_>`. The list does not own its elements; an
// element must leave before it is destroyed. With Ends::head_and_tail the list also keeps its
// last element (push_back, back): 16 bytes instead of 8, which matters only where there are
// thousands of lists (the timer wheel's slots keep the head only).
#include <cstddef>
#include <type_traits>

namespace herald::base {

template <typename T>
struct ListHook {
  T* prev = nullptr;
  T* next = nullptr;
};

enum class Ends { head_only, head_and_tail };

template <typename T, ListHook<T> T::*Hook, Ends E = Ends::head_only>
class IntrusiveList {
  static constexpr bool kTail = E == Ends::head_and_tail;
  struct NoTail {};

 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_ == nullptr; }
  T* front() const { return head_; }
  T* back() const requires kTail { return tail_; }
  /// The element after `t` on this list, or nullptr.
  static T* next(const T& t) { return (t.*Hook).next; }

  /// Whether `t` is on this list (an element is on at most one list per hook).
  bool contains(const T& t) const { return (t.*Hook).prev != nullptr || head_ == &t; }

  void push_front(T& t) {
    ListHook<T>& h = t.*Hook;
    h.prev = nullptr;
    h.next = head_;
    if (head_)
      (head_->*Hook).prev = &t;
    else if constexpr (kTail)
      tail_ = &t;
    head_ = &t;
  }

  void push_back(T& t) requires kTail {
    ListHook<T>& h = t.*Hook;
    h.next = nullptr;
    h.prev = tail_;
    if (tail_)
      (tail_->*Hook).next = &t;
    else
      head_ = &t;
    tail_ = &t;
  }

  /// Unlinks `t`, which must be on this list.
  void erase(T& t) {
    ListHook<T>& h = t.*Hook;
    if (h.prev)
      (h.prev->*Hook).next = h.next;
    else
      head_ = h.next;
    if (h.next)
      (h.next->*Hook).prev = h.prev;
    else if constexpr (kTail)
      tail_ = h.prev;
    h.prev = h.next = nullptr;
  }

  /// Calls fn on every element, front to back; fn may erase the element it is given.
  template <typename Fn>
  void for_each(Fn fn) const {
    for (T* t = head_; t;) {
      T* after = next(*t);
      fn(*t);
      t = after;
    }
  }

 private:
  T* head_ = nullptr;
  [[no_unique_address]] std::conditional_t<kTail, T*, NoTail> tail_{};
};

}  // namespace herald::base
