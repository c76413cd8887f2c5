#pragma once
// Clocks. The loop caches `now` once per iteration; these read the kernel directly.
#include <cstdint>
#include <ctime>

namespace herald::base {

inline uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}
inline uint64_t monotonic_ms() {
  return monotonic_ns() / 1'000'000u;
}
inline uint64_t wall_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000u + uint64_t(ts.tv_nsec) / 1000u;
}

}  // namespace herald::base
