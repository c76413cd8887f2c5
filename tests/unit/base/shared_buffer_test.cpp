#include "base/shared_buffer.h"

#include <gtest/gtest.h>

namespace herald::base {

TEST(SharedBuffer, CopiesShareOneBlock) {
  SharedBuffer a = SharedBuffer::copy_of("hello");
  {
    SharedBuffer b = a;
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_EQ(b.data(), a.data());
    EXPECT_EQ(b.view(), "hello");
  }
  EXPECT_EQ(a.use_count(), 1u);
  SharedBuffer c = std::move(a);
  EXPECT_FALSE(a);
  EXPECT_EQ(c.view(), "hello");
}

TEST(SharedBuffer, AllocateGivesWritableBytes) {
  char* p = nullptr;
  SharedBuffer b = SharedBuffer::allocate(3, &p);
  p[0] = 'a';
  p[1] = 'b';
  p[2] = 'c';
  EXPECT_EQ(b.view(), "abc");
}

}  // namespace herald::base
