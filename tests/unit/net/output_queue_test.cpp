#include <gtest/gtest.h>

#include <string>

#include "net/connection.h"

namespace herald::net {
namespace {

void push(OutputQueue& q, std::string_view s) {
  q.push_back(base::SharedBuffer::copy_of(s), 0, static_cast<uint32_t>(s.size()));
}

std::string contents(OutputQueue& q) {
  std::string all;
  for (size_t i = q.head(); i < q.end(); ++i) all.append(q[i].buf.data() + q[i].off, q[i].len);
  return all;
}

TEST(OutputQueue, OneSliceStaysInlineAndIsConsumed) {
  OutputQueue q;
  EXPECT_TRUE(q.empty());
  push(q, "abc");
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.end() - q.head(), 1u);
  EXPECT_EQ(contents(q), "abc");
  ASSERT_NE(q.single(), nullptr);
  EXPECT_EQ(q.single()->len, 3u);
  q.pop_front();
  EXPECT_EQ(q.single(), nullptr);
  EXPECT_TRUE(q.empty());
  // Consumed but not cleared: the next slice starts over inline.
  push(q, "d");
  EXPECT_EQ(q.end() - q.head(), 1u);
  EXPECT_EQ(contents(q), "d");
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.end(), 0u);
}

TEST(OutputQueue, ABatchKeepsOrderAcrossTheMoveToAnArray) {
  OutputQueue q;
  std::string expect;
  for (int i = 0; i < 200; ++i) {  // past one pooled array (vector growth)
    std::string s = std::to_string(i) + ",";
    push(q, s);
    expect += s;
  }
  EXPECT_EQ(contents(q), expect);
  q.pop_front();
  q.pop_front();
  EXPECT_EQ(contents(q), expect.substr(4));
  q.clear();
  EXPECT_TRUE(q.empty());
  // After clear the queue is inline again and a second batch works the same.
  push(q, "x");
  push(q, "y");
  EXPECT_EQ(contents(q), "xy");
}

TEST(OutputQueue, ClearReleasesTheBuffers) {
  base::SharedBuffer b = base::SharedBuffer::copy_of("payload");
  {
    OutputQueue q;
    q.push_back(base::SharedBuffer(b), 0, 7);
    q.push_back(base::SharedBuffer(b), 0, 7);
    EXPECT_EQ(b.use_count(), 3u);
    q.clear();
    EXPECT_EQ(b.use_count(), 1u);
  }
  EXPECT_EQ(b.use_count(), 1u);
}

}  // namespace
}  // namespace herald::net
