#include "proto/cursor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::proto {
namespace {

Cursor parsed(std::string_view s) {
  auto r = parse_cursor(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : Cursor{};
}

void expect_bad(std::string_view s) {
  auto r = parse_cursor(s);
  EXPECT_FALSE(r.ok()) << "accepted: " << s;
  if (!r.ok()) {
    EXPECT_EQ(r.error(), base::Errc::bad_cursor);
  }
}

}  // namespace

TEST(Cursor, FormatsAndParses) {
  EXPECT_EQ(format_cursor({"E", 0}), "E:0");
  EXPECT_EQ(format_cursor({"Xk3p9", 42}), "Xk3p9:42");
  EXPECT_EQ(parsed("E:0"), (Cursor{"E", 0}));
  EXPECT_EQ(parsed("Xk3p9:42"), (Cursor{"Xk3p9", 42}));
}

TEST(Cursor, RoundTripsEdgeOffsets) {
  for (uint64_t off :
       {uint64_t{0}, uint64_t{1}, uint64_t{9}, uint64_t{10}, uint64_t{18446744073709551615u}}) {
    Cursor c{"abcdefghABCDEF09", off};
    EXPECT_EQ(parsed(format_cursor(c)), c);
  }
  EXPECT_EQ(format_cursor({"e", 18446744073709551615u}), "e:18446744073709551615");
}

TEST(Cursor, RejectsGarbage) {
  expect_bad("");
  expect_bad(":");
  expect_bad("E");
  expect_bad("E:");
  expect_bad(":5");
  expect_bad("E5");
  expect_bad("E:18446744073709551616");  // 2^64
  expect_bad("E:99999999999999999999");
  expect_bad("E:-1");
  expect_bad("E:+1");
  expect_bad("E: 1");
  expect_bad("E:1 ");
  expect_bad("E:01");
  expect_bad("E:1:2");
  expect_bad("E-x:1");
  expect_bad("\xc3\xa9:1");
  expect_bad("abcdefghijklmnopq:1");  // 17-char epoch
  expect_bad(std::string("E:1\0", 4));
  expect_bad(std::string(100000, '7'));
  expect_bad("E:" + std::string(100000, '7'));
}

TEST(MultiCursor, UsesOnlyUrlSafeCharacters) {
  std::string s = encode_multi_cursor({{"a:b@c#d=e-f_g.h", {"E", 1}}});
  EXPECT_TRUE(s.starts_with("m1."));
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    EXPECT_TRUE(ok) << "char " << c << " in " << s;
  }
}

TEST(MultiCursor, RoundTripsOneTwoAndFiftyChannels) {
  const std::string every = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@#=-";
  for (size_t n : {size_t{1}, size_t{2}, size_t{50}}) {
    std::vector<ChannelCursor> in;
    for (size_t i = 0; i < n; ++i) {
      std::string name = every + std::to_string(i);
      // Alternate shared and distinct epochs to use both entry forms.
      std::string epoch = (i % 3 == 0) ? "Ep0ch" : "x" + std::to_string(i);
      uint64_t off = i == 1 ? 18446744073709551615u : i * 1000;
      in.push_back({name, {epoch, off}});
    }
    std::string encoded = encode_multi_cursor(in);
    auto out = decode_multi_cursor(encoded);
    ASSERT_TRUE(out.ok()) << n;
    EXPECT_EQ(*out, in);
  }
}

TEST(MultiCursor, RoundTripsTheLargestAllowedList) {
  std::vector<ChannelCursor> in;
  for (size_t i = 0; i < kMaxMultiCursorChannels; ++i) {
    std::string name = std::to_string(i) + std::string(255 - std::to_string(i).size(), 'c');
    in.push_back({name, {"abcdefghijklmnop" + std::string(), 18446744073709551615u - i}});
    in.back().second.epoch[0] = static_cast<char>('a' + i % 26);
  }
  std::string encoded = encode_multi_cursor(in);
  EXPECT_LE(encoded.size(), kMaxMultiCursorBytes);
  auto out = decode_multi_cursor(encoded);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, in);
}

TEST(MultiCursor, RoundTripsAnEmptyList) {
  auto out = decode_multi_cursor(encode_multi_cursor({}));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

TEST(MultiCursor, RejectsOverLimits) {
  std::vector<ChannelCursor> in;
  for (int i = 0; i < 3; ++i) in.push_back({"c" + std::to_string(i), {"E", 1}});
  std::string encoded = encode_multi_cursor(in);
  EXPECT_TRUE(decode_multi_cursor(encoded, 3).ok());
  EXPECT_FALSE(decode_multi_cursor(encoded, 2).ok());
  EXPECT_FALSE(decode_multi_cursor(encoded, 3, encoded.size() - 1).ok());
  std::string huge = "m1." + std::string(kMaxMultiCursorBytes, 'A');
  EXPECT_FALSE(decode_multi_cursor(huge).ok());
}

namespace {
// Hand-built payloads, so each rule of the decoder is exercised alone.
std::string b64(std::string_view payload) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "m1.";
  size_t i = 0;
  for (; i + 3 <= payload.size(); i += 3) {
    uint32_t v = uint8_t(payload[i]) << 16 | uint8_t(payload[i + 1]) << 8 | uint8_t(payload[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  if (payload.size() - i == 1) {
    uint32_t v = uint8_t(payload[i]) << 16;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
  } else if (payload.size() - i == 2) {
    uint32_t v = uint8_t(payload[i]) << 16 | uint8_t(payload[i + 1]) << 8;
    for (int s = 18; s >= 6; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  return out;
}
}  // namespace

TEST(MultiCursor, DecodesHandWrittenPayloadsAndInheritsEpochs) {
  auto out = decode_multi_cursor(b64("a E:1,b :2,c F:3"));
  ASSERT_TRUE(out.ok());
  std::vector<ChannelCursor> want = {{"a", {"E", 1}}, {"b", {"E", 2}}, {"c", {"F", 3}}};
  EXPECT_EQ(*out, want);
}

TEST(MultiCursor, RejectsGarbage) {
  for (std::string_view payload :
       {"a :1", "a E:1,", ",a E:1", "a E:1,a E:2", "a", "a E", "a E:", "a E:x", "a E:01", "a E:1 ",
        " E:1", "a  E:1", "a/b E:1", "a E-:1", "a E:18446744073709551616", "a E:1,,b E:2"}) {
    EXPECT_FALSE(decode_multi_cursor(b64(payload)).ok()) << payload;
  }
  EXPECT_TRUE(decode_multi_cursor(b64("a E:1")).ok());
  for (std::string_view text : {"", "m1", "m2.YSBFOjE", "m1.YSBFOjE=", "m1.YSBFOjE*", "m1.Y",
                                "m1.YSBFOjF", "YSBFOjE", "m1. YSBFOjE", "E:1"}) {
    EXPECT_FALSE(decode_multi_cursor(text).ok()) << text;
  }
  EXPECT_EQ(b64("a E:1"), "m1.YSBFOjE");
}

TEST(MultiCursor, UserLimitedChannelsWithCommasRoundTrip) {
  std::vector<ChannelCursor> in = {
      {"dm:#alice,bob", {"E", 1}}, {"x", {"E", 2}}, {"dm:#c,d,e", {"F", 3}}};
  auto out = decode_multi_cursor(encode_multi_cursor(in));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, in);
}

TEST(AnyCursor, AcceptsThePlainFormOnlyForOneChannel) {
  std::vector<std::string> one = {"chat"};
  auto r = decode_any_cursor("E:5", one);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], (ChannelCursor{"chat", {"E", 5}}));

  std::vector<std::string> two = {"a", "b"};
  EXPECT_FALSE(decode_any_cursor("E:5", two).ok());
  EXPECT_FALSE(decode_any_cursor("E:x", one).ok());
  EXPECT_FALSE(decode_any_cursor("", one).ok());
}

TEST(AnyCursor, KeepsOnlyTheRequestedChannelsOfAMultiCursor) {
  std::string m = encode_multi_cursor({{"a", {"E", 1}}, {"b", {"F", 2}}, {"c", {"E", 3}}});
  std::vector<std::string> wanted = {"c", "a", "z"};
  auto r = decode_any_cursor(m, wanted);
  ASSERT_TRUE(r.ok());
  std::vector<ChannelCursor> want = {{"a", {"E", 1}}, {"c", {"E", 3}}};
  EXPECT_EQ(*r, want);
  std::vector<std::string> one = {"b"};
  r = decode_any_cursor(m, one);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<ChannelCursor>{{"b", {"F", 2}}}));
  EXPECT_FALSE(decode_any_cursor("m1.!!", one).ok());
}

}  // namespace herald::proto
