#include "base/byte_class.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::base {
namespace {

constexpr ByteClassTable make_table() {
  ByteClassTable t{};
  t[static_cast<unsigned char>('"')] = 1;
  t[static_cast<unsigned char>('\\')] = 2;
  t[0xff] = 4;
  return t;
}
constexpr ByteClassTable kTable = make_table();

TEST(ByteClass, FoldsEveryByteWhateverItsPosition) {
  EXPECT_EQ(fold_byte_classes("", kTable), 0);
  EXPECT_EQ(fold_byte_classes("plain text of any length", kTable), 0);
  // Each class found at every offset, so the 4-byte body and the tail both count.
  for (size_t len = 1; len <= 13; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::string s(len, 'a');
      s[at] = '\\';
      EXPECT_EQ(fold_byte_classes(s, kTable), 2) << len << " " << at;
      s[(at + 1) % len] = char(0xff);
      EXPECT_EQ(fold_byte_classes(s, kTable), len == 1 ? 4 : 6) << len << " " << at;
    }
  }
  EXPECT_EQ(fold_byte_classes("\"\\\xff", kTable), 7);
}

}  // namespace
}  // namespace herald::base
