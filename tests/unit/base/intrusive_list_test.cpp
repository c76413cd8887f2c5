#include "base/intrusive_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace herald::base {
namespace {

struct Item {
  int id = 0;
  ListHook<Item> a;
  ListHook<Item> b;
};

template <typename List>
std::vector<int> ids(const List& l) {
  std::vector<int> out;
  l.for_each([&](Item& i) { out.push_back(i.id); });
  return out;
}

using HeadOnly = IntrusiveList<Item, &Item::a>;
using Queue = IntrusiveList<Item, &Item::b, Ends::head_and_tail>;

// Numbers x[0..N) and links each, in that order, with `link` (push_front or push_back).
template <size_t N, typename Link>
void numbered(Item (&x)[N], Link link) {
  for (size_t i = 0; i < N; ++i) {
    x[i].id = int(i);
    link(x[i]);
  }
}

TEST(IntrusiveList, PushFrontAndEraseAnywhere) {
  Item x[4];
  HeadOnly l;
  EXPECT_TRUE(l.empty());
  numbered(x, [&](Item& i) { l.push_front(i); });
  EXPECT_EQ(ids(l), (std::vector<int>{3, 2, 1, 0}));
  l.erase(x[2]);  // middle
  EXPECT_EQ(ids(l), (std::vector<int>{3, 1, 0}));
  EXPECT_FALSE(l.contains(x[2]));
  l.erase(x[3]);  // front
  l.erase(x[0]);  // last
  EXPECT_EQ(ids(l), (std::vector<int>{1}));
  EXPECT_TRUE(l.contains(x[1]));  // the only element: no prev, but it is the head
  l.erase(x[1]);
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(l.contains(x[1]));
}

TEST(IntrusiveList, TailKeepsOrderAndFollowsErases) {
  Item x[3];
  Queue q;
  numbered(x, [&](Item& i) { q.push_back(i); });
  EXPECT_EQ(q.front(), &x[0]);
  EXPECT_EQ(q.back(), &x[2]);
  q.erase(x[2]);
  EXPECT_EQ(q.back(), &x[1]);
  q.erase(x[0]);
  q.push_back(x[0]);  // moved to the end, as a renewal does
  EXPECT_EQ(ids(q), (std::vector<int>{1, 0}));
  q.push_front(x[2]);
  EXPECT_EQ(ids(q), (std::vector<int>{2, 1, 0}));
  q.erase(x[1]);
  q.erase(x[0]);
  EXPECT_EQ(q.back(), &x[2]);
  q.erase(x[2]);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.back(), nullptr);
}

TEST(IntrusiveList, OneElementOnTwoListsByTwoHooks) {
  Item x[2];
  x[0].id = 0;
  x[1].id = 1;
  HeadOnly l;
  Queue q;
  l.push_front(x[0]);
  l.push_front(x[1]);
  q.push_back(x[0]);
  q.push_back(x[1]);
  l.erase(x[0]);
  EXPECT_EQ(ids(l), (std::vector<int>{1}));
  EXPECT_EQ(ids(q), (std::vector<int>{0, 1}));
}

TEST(IntrusiveList, ForEachMayEraseTheElementItIsGiven) {
  Item x[5];
  HeadOnly l;
  numbered(x, [&](Item& i) { l.push_front(i); });
  l.for_each([&](Item& i) {
    if (i.id % 2 == 0) l.erase(i);
  });
  EXPECT_EQ(ids(l), (std::vector<int>{3, 1}));
}

static_assert(sizeof(HeadOnly) == sizeof(void*));
static_assert(sizeof(Queue) == 2 * sizeof(void*));

}  // namespace
}  // namespace herald::base
