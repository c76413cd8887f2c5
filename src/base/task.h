#pragma once
// Task: a move-only `void()` callable, for work handed to a loop (Loop::post/defer, the hub's
// Executor::post).
//
// Why not std::function: it keeps a closure in place only up to 16 bytes and allocates every
// larger one with operator new; the closures of a publish (the channel, the payload, the
// caller's callback) are about 120 bytes, and malloc with free cost ~150 instructions a pair,
// once or more per message. A Task keeps a closure of up to 16 trivially copyable bytes in
// place and any other one in a block of the thread's BlockCache (base/block_cache.h; a larger
// closure goes to operator new). It is also move-only, so a closure may own what it carries.
#include <cstddef>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

#include "base/block_cache.h"

namespace herald::base {

class Task {
 public:
  Task() = default;
  Task(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): "no task", as for std::function

  template <typename F, typename Fn = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<Fn, Task> && std::is_invocable_v<Fn&>>>
  Task(F&& f) {  // NOLINT(google-explicit-constructor): a lambda converts as to std::function
    if constexpr (std::is_same_v<Fn, std::function<void()>>) {
      if (!f) return;  // an empty std::function is no task
    }
    if constexpr (kInPlace<Fn>) {
      new (static_cast<void*>(store_.bytes)) Fn(std::forward<F>(f));
      call_ = [](Store& s) { (*std::launder(reinterpret_cast<Fn*>(s.bytes)))(); };
      drop_ = nullptr;  // trivially destructible: nothing to do
    } else {
      static_assert(alignof(Fn) <= alignof(std::max_align_t), "a block is malloc-aligned only");
      void* p = sizeof(Fn) <= BlockCache::kSmallBlock ? small_block(sizeof(Fn))
                                                      : ::operator new(sizeof(Fn));
      if (!p) throw std::bad_alloc();
      store_.ptr = new (p) Fn(std::forward<F>(f));
      call_ = [](Store& s) { (*static_cast<Fn*>(s.ptr))(); };
      drop_ = [](Store& s) {
        static_cast<Fn*>(s.ptr)->~Fn();
        if constexpr (sizeof(Fn) <= BlockCache::kSmallBlock) {
          release_small_block(s.ptr, sizeof(Fn));
        } else {
          ::operator delete(s.ptr);
        }
      };
    }
  }

  // Both forms move as bytes: a pointer, or a trivially copyable closure.
  Task(Task&& o) noexcept : store_(o.store_), call_(o.call_), drop_(o.drop_) {
    o.call_ = nullptr;
    o.drop_ = nullptr;
  }
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      store_ = o.store_;
      call_ = o.call_;
      drop_ = o.drop_;
      o.call_ = nullptr;
      o.drop_ = nullptr;
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const { return call_ != nullptr; }
  /// Runs the task; it must not be empty. It stays callable (a task may be run again).
  void operator()() { call_(store_); }

 private:
  union Store {
    void* ptr;
    alignas(8) unsigned char bytes[16];
  };
  template <typename Fn>
  static constexpr bool kInPlace = sizeof(Fn) <= sizeof(Store) &&
                                   alignof(Fn) <= 8 && std::is_trivially_copyable_v<Fn>;

  void reset() {
    if (drop_) drop_(store_);
    call_ = nullptr;
    drop_ = nullptr;
  }

  Store store_{};
  void (*call_)(Store&) = nullptr;
  void (*drop_)(Store&) = nullptr;
};

}  // namespace herald::base
