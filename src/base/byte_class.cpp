#include "base/byte_class.h"

namespace herald::base {

// Why one out-of-line function with vectorisation off: written inline at each call site, g++
// -O3 turned this loop into "vector" code that emulates a table gather byte by byte through
// the stack (~1 KiB of code, 150-200 instructions for a 24-byte string, measured with
// callgrind on the HTTP publish path); the plain loop costs a third of that. Clang does not
// vectorise it and has no such attribute.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
uint8_t
fold_byte_classes(std::string_view s, const ByteClassTable& table) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  uint8_t a = 0, b = 0, c = 0, d = 0;
  for (; i + 4 <= n; i += 4) {
    a |= table[p[i]];
    b |= table[p[i + 1]];
    c |= table[p[i + 2]];
    d |= table[p[i + 3]];
  }
  for (; i < n; ++i) a |= table[p[i]];
  return a | b | c | d;
}

}  // namespace herald::base
