#include "base/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
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

TEST(ByteBuffer, LentMemoryIsReadInPlaceAndOnlyTheRestIsCopied) {
  char scratch[] = "GET / HTTP/1.1\r\n\r\nGET /x";
  ByteBuffer b;
  b.lend(scratch, sizeof scratch - 1);
  EXPECT_EQ(b.readable().data(), scratch);  // no copy
  EXPECT_EQ(b.capacity(), 0u);
  b.consume(18);
  b.settle();  // the unread "GET /x" moves to storage of the buffer's own
  EXPECT_EQ(b.readable(), "GET /x");
  EXPECT_NE(b.readable().data(), scratch + 18);
  EXPECT_GE(b.capacity(), 6u);
  std::memset(scratch, 'z', sizeof scratch - 1);  // the lender's memory is free again
  EXPECT_EQ(b.readable(), "GET /x");
  b.settle();  // not lent: nothing changes
  EXPECT_EQ(b.readable(), "GET /x");

  ByteBuffer whole;
  char req[] = "abc";
  whole.lend(req, 3);
  whole.consume(3);
  whole.settle();  // all read: no storage is made
  EXPECT_TRUE(whole.empty());
  EXPECT_EQ(whole.capacity(), 0u);

  ByteBuffer grown;  // append while lent copies into owned storage first
  char part[] = "ab";
  grown.lend(part, 2);
  grown.consume(1);
  grown.append("cd");
  part[1] = 'z';
  EXPECT_EQ(grown.readable(), "bcd");
  grown.settle();
  EXPECT_EQ(grown.readable(), "bcd");
}

}  // namespace
}  // namespace herald::base
