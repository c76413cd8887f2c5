#include "loop/timer.h"

namespace herald::loop {

Timer::~Timer() {
  stop();
  release_callback();
}

void Timer::release_callback() {
  if (boxed_) {
    Box* box;
    std::memcpy(&box, ctx_, sizeof box);
    Box::unref(box);
    boxed_ = false;
  }
  fn_ = nullptr;
}

void Timer::Box::call(void* ctx) {
  Box* box;
  std::memcpy(&box, ctx, sizeof box);
  box->run();
}

void Timer::restart(uint64_t delay_ms) {
  stop();
  deadline_ms_ = wheel_->now_ms() + delay_ms;
  wheel_->link(this);
}

void Timer::stop() {
  if (active()) wheel_->unlink(this);
}

TimerWheel::TimerWheel(uint64_t now_ms) : now_ms_(now_ms), current_tick_(now_ms / kTickMs) {}

TimerWheel::~TimerWheel() {
  for (auto& slot : slots_) {
    while (Timer* t = slot.front()) unlink(t);
  }
}

void TimerWheel::link(Timer* t) {
  // A deadline in the past or in the current tick lands in the next tick, so that a timer
  // armed from inside a timer callback never runs in the same advance() call.
  uint64_t tick = (t->deadline_ms_ + kTickMs - 1) / kTickMs;
  if (tick <= current_tick_) tick = current_tick_ + 1;
  t->slot_ = static_cast<uint32_t>(tick % kSlots);
  occupied_[t->slot_ / 64] |= uint64_t(1) << (t->slot_ % 64);
  slots_[t->slot_].push_front(*t);
  ++count_;
}

void TimerWheel::unlink(Timer* t) {
  auto& slot = slots_[t->slot_];
  slot.erase(*t);
  if (slot.empty()) occupied_[t->slot_ / 64] &= ~(uint64_t(1) << (t->slot_ % 64));
  t->slot_ = Timer::kUnarmed;
  --count_;
}

Timer* TimerWheel::pop_due(size_t slot, uint64_t now_ms) {
  for (Timer* t = slots_[slot].front(); t; t = Slot::next(*t)) {
    if (t->deadline_ms_ <= now_ms) {
      unlink(t);
      return t;
    }
  }
  return nullptr;
}

void TimerWheel::advance(uint64_t now_ms) {
  if (now_ms < now_ms_) now_ms = now_ms_;
  now_ms_ = now_ms;
  uint64_t target = now_ms / kTickMs;
  // Visit each tick up to now; after one full lap every slot has been seen, so stop there.
  // Timers are popped one at a time and run, so a callback may stop or re-arm any timer
  // (including ones due in the same tick) without invalidating what we walk.
  uint64_t steps = 0;
  while (current_tick_ < target && steps < kSlots && count_ > 0) {
    ++current_tick_;
    ++steps;
    size_t slot = current_tick_ % kSlots;
    while (Timer* t = pop_due(slot, now_ms)) run(t);
  }
  if (current_tick_ < target) current_tick_ = target;
}

// The callback runs on a copy of the timer's callback words: it may re-arm the timer with a
// new callback, or destroy it, while it runs. A boxed callable is kept alive by a reference.
void TimerWheel::run(Timer* t) {
  Timer::Fn fn = t->fn_;
  if (!fn) return;
  alignas(void*) unsigned char ctx[sizeof t->ctx_];
  std::memcpy(ctx, t->ctx_, sizeof ctx);
  if (!t->boxed_) return fn(ctx);
  Timer::Box* box;
  std::memcpy(&box, ctx, sizeof box);
  ++box->refs;
  fn(ctx);
  Timer::Box::unref(box);
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
