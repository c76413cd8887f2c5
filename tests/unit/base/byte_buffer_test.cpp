#include "base/byte_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace herald::base {
namespace {

TEST(ByteBuffer, AppendsReadsAndCompactsWithoutLosingBytes) {
  static_assert(sizeof(ByteBuffer) == 24);
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.readable(), "");
  EXPECT_EQ(b.capacity(), 0u);
  // A stream of numbered lines, read in pieces that cross the lazy compaction point (more
  // than 4 KiB read and more than half of what is held).
  std::string sent, got;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    sent += line;
    b.append(line);
    if (i % 3 == 0) {
      size_t n = b.size() / 2 + 1;
      got += b.readable().substr(0, n);
      b.consume(n);
    }
  }
  got += b.readable();
  b.consume(b.size());
  EXPECT_EQ(got, sent);
  EXPECT_TRUE(b.empty());
  EXPECT_GT(b.capacity(), 0u);  // emptied, not freed
  b.shrink_if_idle(1 << 20);
  EXPECT_GT(b.capacity(), 0u);  // within what may be kept
  b.shrink_if_idle(16);
  EXPECT_EQ(b.capacity(), 0u);
  b.append("again");
  EXPECT_EQ(b.readable(), "again");
}

TEST(ByteBuffer, ConsumingMoreThanHeldEmptiesAndMovesTransfer) {
  ByteBuffer a(64);
  EXPECT_GE(a.capacity(), 64u);
  a.append("abcdef");
  a.consume(2);
  EXPECT_EQ(a.readable(), "cdef");
  ByteBuffer b(std::move(a));
  EXPECT_EQ(b.readable(), "cdef");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
  EXPECT_EQ(a.capacity(), 0u);
  a = std::move(b);
  EXPECT_EQ(a.readable(), "cdef");
  a.consume(100);
  EXPECT_TRUE(a.empty());
  a.clear();
  a.append("x");
  EXPECT_EQ(a.readable(), "x");
}

}  // namespace
}  // namespace herald::base
