#include "loop/timer.h"

namespace herald::loop {

Timer::~Timer() {
  stop();
  release_callback();
}

void Timer::release_callback() {
  if (boxed()) {
    Box* box;
    std::memcpy(&box, ctx_, sizeof box);
    Box::unref(box);
  }
  fn_ = nullptr;
}

void Timer::Box::call(void* ctx) {
  Box* box;
  std::memcpy(&box, ctx, sizeof box);
  box->run();
}

void Timer::restart(uint64_t delay_ms) {
  wheel_->arm(*this, delay_ms);
}

void Timer::stop() {
  if (armed()) wheel_->cancel(*this);
}

// The callback runs on a copy of the timer's callback words: it may re-arm the timer with a
// new callback, or destroy it, while it runs. A boxed callable is kept alive by a reference.
void Timer::on_timer() {
  Fn fn = fn_;
  if (!fn) return;
  alignas(void*) unsigned char ctx[sizeof ctx_];
  std::memcpy(ctx, ctx_, sizeof ctx);
  if (!boxed()) return fn(ctx);
  Box* box;
  std::memcpy(&box, ctx, sizeof box);
  ++box->refs;
  fn(ctx);
  Box::unref(box);
}

TimerWheel::TimerWheel(uint64_t now_ms) : now_ms_(now_ms), current_tick_(now_ms / kTickMs) {}

TimerWheel::~TimerWheel() {
  for (auto& slot : slots_) {
    while (TimerEntry* e = slot.front()) unlink(*e);
  }
}

void TimerWheel::arm(TimerEntry& e, uint64_t delay_ms) {
  cancel(e);
  // Due at the first tick that ends at or after the deadline. A deadline in the past or in the
  // tick being run lands in the next tick, so an entry that re-arms itself from on_timer()
  // runs at most once per tick of an advance() call.
  uint64_t tick = (now_ms_ + delay_ms + kTickMs - 1) / kTickMs;
  if (tick <= current_tick_) tick = current_tick_ + 1;
  e.tick_ = tick;
  size_t slot = tick % kSlots;
  occupied_[slot / 64] |= uint64_t(1) << (slot % 64);
  slots_[slot].push_front(e);
  ++count_;
}

void TimerWheel::unlink(TimerEntry& e) {
  size_t slot = e.tick_ % kSlots;
  slots_[slot].erase(e);
  if (slots_[slot].empty()) occupied_[slot / 64] &= ~(uint64_t(1) << (slot % 64));
  e.tick_ = 0;
  --count_;
}

// An entry of the slot whose tick has come (the others are a lap or more ahead).
TimerEntry* TimerWheel::pop_due(size_t slot) {
  for (TimerEntry* e = slots_[slot].front(); e; e = Slot::next(*e)) {
    if (e->tick_ <= current_tick_) {
      unlink(*e);
      return e;
    }
  }
  return nullptr;
}

void TimerWheel::advance(uint64_t now_ms) {
  if (now_ms < now_ms_) now_ms = now_ms_;
  now_ms_ = now_ms;
  uint64_t target = now_ms / kTickMs;
  // Visit each tick up to now; after one full lap every slot has been seen, so stop there.
  // Entries are popped one at a time and run, so on_timer() may cancel or re-arm any entry
  // (including ones due in the same tick) without invalidating what we walk.
  uint64_t steps = 0;
  while (current_tick_ < target && steps < kSlots && count_ > 0) {
    ++current_tick_;
    ++steps;
    size_t slot = current_tick_ % kSlots;
    while (TimerEntry* e = pop_due(slot)) e->on_timer();
  }
  if (current_tick_ < target) current_tick_ = target;
}

int64_t TimerWheel::next_timeout_ms(uint64_t now_ms) const {
  if (count_ == 0) return -1;
  // The first occupied slot after the current tick, walking the bitmap around the wheel.
  constexpr size_t kWords = kSlots / 64;
  size_t start = (current_tick_ + 1) % kSlots;
  for (size_t step = 0; step <= kWords; ++step) {
    size_t word = (start / 64 + step) % kWords;
    uint64_t bits = occupied_[word];
    if (step == 0) bits &= ~uint64_t(0) << (start % 64);  // slots before `start` come last
    if (step == kWords) bits &= (uint64_t(1) << (start % 64)) - 1;
    if (!bits) continue;
    size_t slot = word * 64 + size_t(__builtin_ctzll(bits));
    uint64_t ahead = (slot + kSlots - start) % kSlots + 1;  // ticks after current_tick_
    uint64_t at = (current_tick_ + ahead) * kTickMs;
    return at > now_ms ? int64_t(at - now_ms) : 0;
  }
  return int64_t(kSlots * kTickMs);
}

}  // namespace herald::loop
