#include "ws_codec/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::ws {
namespace {

// Index of the byte on which a byte-at-a-time feed first says no, or -1.
int first_rejected_byte(std::string_view s) {
  Utf8Validator v;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!v.feed(s.substr(i, 1))) return static_cast<int>(i);
  }
  return -1;
}

TEST(Utf8, AcceptsValidText) {
  for (std::string_view s : {"", "hello", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
                             "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                             "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",  // κόσμε
                             "\xed\x9f\xbf", "\xee\x80\x80"}) {               // around surrogates
    EXPECT_TRUE(is_valid_utf8(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, RejectsInvalidSequences) {
  for (std::string_view s : {
           "\x80",              // stray continuation
           "\xbf",              //
           "\xc0\x80",          // overlong NUL
           "\xc1\xbf",          // overlong
           "\xe0\x80\x80",      // overlong 3-byte
           "\xe0\x9f\xbf",      // overlong 3-byte (U+07FF)
           "\xf0\x80\x80\x80",  // overlong 4-byte
           "\xf0\x8f\xbf\xbf",  // overlong 4-byte (U+FFFF)
           "\xed\xa0\x80",      // U+D800
           "\xed\xbf\xbf",      // U+DFFF
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80",  //
           "\xfe",              //
           "\xff",              //
           "\xc2\x41",          // lead byte followed by ASCII
           "\xe2\x82",          // truncated at the end
           "\xf0\x90\x80",      // truncated at the end
       }) {
    EXPECT_FALSE(is_valid_utf8(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, IncompleteIsNotAnError) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("a\xe2\x82"));  // euro sign, first two bytes
  EXPECT_FALSE(v.complete());
  EXPECT_TRUE(v.feed("\xac"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, FailsOnTheByteThatMakesItInvalid) {
  // Autobahn 6.x needs "fail fast": the answer must change on the first impossible byte.
  EXPECT_EQ(first_rejected_byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                                "edited"),
            12);                                            // ED A0: surrogate at A0
  EXPECT_EQ(first_rejected_byte("ab\xf4\x90\x80\x80"), 3);  // F4 90: beyond U+10FFFF
  EXPECT_EQ(first_rejected_byte("ab\xe0\x80\x80"), 3);      // E0 80: overlong
  EXPECT_EQ(first_rejected_byte("abc\xc0"), 3);             // C0 can never start anything
  EXPECT_EQ(first_rejected_byte("\xc2\xa9\x80"), 2);        // stray continuation
  EXPECT_EQ(first_rejected_byte("\xf0\x9f\x98\x80\xf0\x9f\x98"), -1);  // valid prefix
}

TEST(Utf8, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("\xff"));
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed("abc"));
  v.reset();
  EXPECT_TRUE(v.feed("abc"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, AsciiFastPathChecksEveryPosition) {
  // The 8-bytes-at-a-time path must not skip a bad byte at any offset or alignment.
  for (size_t len = 1; len < 40; ++len) {
    for (size_t bad = 0; bad < len; ++bad) {
      std::string s(len, 'x');
      s[bad] = '\x80';
      EXPECT_FALSE(is_valid_utf8(s)) << len << " " << bad;
      s[bad] = '\xc3';
      if (bad + 1 < len) s[bad + 1] = '\xa9';  // a valid é
      EXPECT_EQ(is_valid_utf8(s), bad + 1 < len) << len << " " << bad;
    }
  }
}

TEST(Utf8, SplitAnywhereGivesTheSameAnswer) {
  const std::string good = "plain \xe2\x82\xac and \xf0\x9f\x98\x80 and \xce\xba more text here";
  const std::string bad = good + "\xed\xa0\x80 tail";
  for (size_t cut = 0; cut <= good.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(std::string_view(good).substr(0, cut)));
    EXPECT_TRUE(v.feed(std::string_view(good).substr(cut)));
    EXPECT_TRUE(v.complete()) << cut;
  }
  for (size_t cut = 0; cut <= bad.size(); ++cut) {
    Utf8Validator v;
    bool ok = v.feed(std::string_view(bad).substr(0, cut));
    ok = ok && v.feed(std::string_view(bad).substr(cut));
    EXPECT_FALSE(ok) << cut;
  }
}

}  // namespace
}  // namespace herald::ws
