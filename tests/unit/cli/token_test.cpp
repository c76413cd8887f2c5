#include "tools/cli/token.h"

#include <gtest/gtest.h>

namespace herald::cli {
namespace {

int64_t ttl(std::string_view text) {
  int64_t s = -1;
  EXPECT_TRUE(parse_ttl(text, &s)) << text;
  return s;
}

bool bad_ttl(std::string_view text) {
  int64_t s = -1;
  return !parse_ttl(text, &s) && s == -1;
}

TEST(TokenTtl, Units) {
  EXPECT_EQ(ttl("30s"), 30);
  EXPECT_EQ(ttl("15m"), 900);
  EXPECT_EQ(ttl("1h"), 3600);
  EXPECT_EQ(ttl("7d"), 7 * 86400);
  EXPECT_EQ(ttl("90"), 90);
  EXPECT_EQ(ttl("0"), 0);
  EXPECT_EQ(ttl("3650d"), 3650LL * 86400);
}

TEST(TokenTtl, Refusals) {
  for (std::string_view t : {"", "h", "1y", "1H", "-1h", "+1h", "1.5h", "1h30m", " 1h", "1 h",
                             "3651d", "99999999999999h"}) {
    EXPECT_TRUE(bad_ttl(t)) << t;
  }
}

}  // namespace
}  // namespace herald::cli
