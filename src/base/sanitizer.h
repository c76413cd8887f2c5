#pragma once
// HERALD_ASAN is defined when AddressSanitizer instruments this build (GCC says so with
// __SANITIZE_ADDRESS__, Clang with __has_feature). Pools and caches that reuse memory hand it
// to the heap instead under it, so lifetime errors are still found.
#if defined(__SANITIZE_ADDRESS__)
#define HERALD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HERALD_ASAN 1
#endif
#endif
