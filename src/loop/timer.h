#pragma once
// Timers on a hashed timing wheel with a cached clock. The wheel holds intrusive entries owned
// by their users: a Timer (any callback; destroying it cancels it), or an object that is its
// own entry (a session with one deadline at a time). Resolution is one tick (kTickMs).
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "base/intrusive_list.h"

namespace herald::loop {

class TimerWheel;

/// What a TimerWheel holds: one deadline, and on_timer() to run once it has passed. 32 bytes:
/// the vtable pointer, the wheel slot's links and the deadline's tick. Its owner arms and
/// cancels it through the wheel (TimerWheel::arm, cancel) and must cancel it before it is
/// destroyed. An object with one deadline at a time (a connection's session: keepalive, the
/// close deadline, an SSE heartbeat) is an entry itself; everything else holds a Timer.
class TimerEntry {
 public:
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;

  bool armed() const { return tick_ != 0; }

 protected:
  TimerEntry() = default;
  ~TimerEntry() = default;
  /// The deadline passed. The entry is no longer armed; this may re-arm it, cancel others, or
  /// destroy the object (the wheel does not touch the entry afterwards).
  virtual void on_timer() = 0;

 private:
  friend class TimerWheel;
  base::ListHook<TimerEntry> hook_;  // in its wheel slot's list while armed
  uint64_t tick_ = 0;                // the wheel tick it is due at while armed; 0 while not
};

/// A timer with any callback: an intrusive handle owned by its user; destroying it cancels it,
/// so an owner that went away is never called back. 56 bytes.
class Timer final : private TimerEntry {
 public:
  Timer() = default;
  ~Timer();

  /// (Re)arms: `cb` (any callable taking no argument) runs once on the loop thread after about
  /// `delay_ms`. A callable of one pointer's size that is trivially copyable (a lambda that
  /// captures only `this`, or nothing) is stored in the timer itself; anything larger is moved
  /// to the heap. The callback may stop, re-arm or replace this timer's callback.
  template <typename F>
  void start(TimerWheel& wheel, uint64_t delay_ms, F&& cb) {
    using Fn = std::decay_t<F>;
    release_callback();
    if constexpr (kInline<Fn>) {
      ::new (static_cast<void*>(ctx_)) Fn(std::forward<F>(cb));
      fn_ = [](void* ctx) { (*std::launder(static_cast<Fn*>(ctx)))(); };
    } else {
      Box* box = new BoxOf<Fn>(std::forward<F>(cb));
      std::memcpy(ctx_, &box, sizeof box);
      fn_ = &Box::call;
    }
    wheel_ = &wheel;
    restart(delay_ms);
  }
  /// Re-arms with the callback given to the last start().
  void restart(uint64_t delay_ms);
  void stop();
  bool active() const { return armed(); }

 private:
  using Fn = void (*)(void* ctx);

  template <typename F>
  static constexpr bool kInline =
      sizeof(F) <= sizeof(void*) && alignof(F) <= alignof(void*) &&
      std::is_trivially_copyable_v<F>&& std::is_trivially_destructible_v<F>;

  // A callable too large to sit in ctx_, shared by the timer and a running callback (so that a
  // callback that replaces its own timer's callback, or destroys the timer, runs to its end).
  struct Box {
    virtual ~Box() = default;
    virtual void run() = 0;
    unsigned refs = 1;
    static void call(void* ctx);
    static void unref(Box* b) {
      if (--b->refs == 0) delete b;
    }
  };
  template <typename F>
  struct BoxOf final : Box {
    template <typename G>
    explicit BoxOf(G&& g) : f(std::forward<G>(g)) {}
    void run() override { f(); }
    F f;
  };

  void on_timer() override;
  void release_callback();
  bool boxed() const { return fn_ == &Box::call; }  // ctx_ holds a Box*

  // The callback is a function pointer and one pointer-sized context (the callable itself, or
  // its Box), not a std::function (32 bytes).
  TimerWheel* wheel_ = nullptr;  // the wheel of the last start()
  Fn fn_ = nullptr;
  alignas(void*) unsigned char ctx_[sizeof(void*)] = {};
};

class TimerWheel {
 public:
  static constexpr uint64_t kTickMs = 4;
  static constexpr size_t kSlots = 4096;  // one lap = ~16 s; longer timers take more laps

  explicit TimerWheel(uint64_t now_ms = 0);
  ~TimerWheel();

  /// Sets the clock that new deadlines are computed from, without running timers. The loop
  /// calls it when it wakes (phase 2), so a timer armed by an io handler after a long sleep
  /// counts from now, not from the last advance().
  void set_now(uint64_t now_ms) {
    if (now_ms > now_ms_) now_ms_ = now_ms;
  }
  /// Runs every entry whose deadline (rounded up to its tick) is <= now_ms; advances the wheel.
  void advance(uint64_t now_ms);
  /// Arms `e` to run after about `delay_ms` (moving it if it is armed already).
  void arm(TimerEntry& e, uint64_t delay_ms);
  /// Disarms `e`; nothing when it is not armed.
  void cancel(TimerEntry& e) {
    if (e.armed()) unlink(e);
  }
  /// Milliseconds until the next tick that holds an entry, or -1 when none is armed.
  /// Conservative: may return a time earlier than the next deadline, never later.
  int64_t next_timeout_ms(uint64_t now_ms) const;
  size_t size() const { return count_; }
  uint64_t now_ms() const { return now_ms_; }

 private:
  void unlink(TimerEntry& e);
  TimerEntry* pop_due(size_t slot);

  using Slot = base::IntrusiveList<TimerEntry, &TimerEntry::hook_>;
  Slot slots_[kSlots];
  // One bit per non-empty slot: next_timeout_ms() finds the next armed tick by scanning 64
  // words instead of up to 4,096 slots (it runs once per loop iteration).
  uint64_t occupied_[kSlots / 64] = {};
  uint64_t now_ms_;
  uint64_t current_tick_;
  size_t count_ = 0;
};

}  // namespace herald::loop
