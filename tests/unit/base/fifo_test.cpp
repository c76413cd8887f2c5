#include "base/fifo.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::base {

TEST(Fifo, KeepsOrderAcrossCompaction) {
  Fifo<std::string> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) q.push_back(std::to_string(next_in++));
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(q.front(), std::to_string(next_out++));
      q.pop_front();
    }
  }
  EXPECT_EQ(q.size(), size_t(next_in - next_out));
  while (!q.empty()) {
    ASSERT_EQ(q.front(), std::to_string(next_out++));
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(Fifo, EraseIfKeepsTheRestInOrder) {
  Fifo<int> q;
  for (int i = 0; i < 10; ++i) q.push_back(i);
  q.pop_front();
  EXPECT_EQ(q.erase_if([](int v) { return v % 2 == 0; }), 4u);
  std::vector<int> rest;
  while (!q.empty()) {
    rest.push_back(q.front());
    q.pop_front();
  }
  EXPECT_EQ(rest, std::vector<int>({1, 3, 5, 7, 9}));
}

}  // namespace herald::base
