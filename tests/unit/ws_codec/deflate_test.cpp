#include "ws_codec/deflate.h"
#include "ws_codec/message.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace herald::ws {
namespace {

std::string compressible(size_t n) {
  std::string s;
  while (s.size() < n)
    s += "{\"channel\":\"public:chat\",\"offset\":" + std::to_string(s.size()) + "},";
  s.resize(n);
  return s;
}

std::string random_bytes(size_t n, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A client-side compressor: raw deflate with context takeover (or not), sync flush, tail cut,
// as RFC 7692 §7.2.1 describes and browsers do.
class ClientDeflate {
 public:
  explicit ClientDeflate(int bits = 15) {
    EXPECT_EQ(deflateInit2(&s_, 6, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  }
  ~ClientDeflate() { deflateEnd(&s_); }
  std::string message(std::string_view in, int flush = Z_SYNC_FLUSH) {
    std::string out(deflateBound(&s_, in.size()) + 64, '\0');
    s_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s_.avail_in = static_cast<uInt>(in.size());
    s_.next_out = reinterpret_cast<Bytef*>(out.data());
    s_.avail_out = static_cast<uInt>(out.size());
    EXPECT_NE(deflate(&s_, flush), Z_STREAM_ERROR);
    out.resize(out.size() - s_.avail_out);
    if (flush == Z_SYNC_FLUSH) {
      EXPECT_EQ(out.substr(out.size() - 4), std::string("\0\0\xff\xff", 4));
      out.resize(out.size() - 4);
    }
    return out;
  }

 private:
  z_stream s_{};
};

TEST(Deflate, RoundTripOfVariousSizes) {
  Deflater d(15);
  Inflater inf(15, true);
  for (size_t n : {0, 1, 63, 64, 1000, 65536, 300000}) {
    for (const std::string& in : {compressible(n), random_bytes(n)}) {
      std::string z;
      ASSERT_TRUE(d.compress(in, z));
      std::string back;
      ASSERT_EQ(inf.inflate(z, 1 << 20, back), InflateStatus::ok) << n;
      EXPECT_EQ(back, in) << n;
      EXPECT_GE(back.capacity() - back.size(), kPayloadPadding);
    }
  }
}

TEST(Deflate, EmptyMessageIsOneZeroByte) {
  // RFC 7692 §7.2.3.6: an empty message compresses to a single 0x00.
  Deflater d(15);
  std::string z;
  ASSERT_TRUE(d.compress("", z));
  EXPECT_EQ(z, std::string(1, '\0'));
}

TEST(Deflate, EachMessageStandsAlone) {
  // No context takeover: a message inflates with a fresh inflater, whatever came before.
  Deflater d(15);
  std::string a, b;
  ASSERT_TRUE(d.compress(compressible(5000), a));
  ASSERT_TRUE(d.compress(compressible(5000), b));
  EXPECT_EQ(a, b);  // same input, same output: no state carried over
  Inflater fresh(15, false);
  std::string out;
  ASSERT_EQ(fresh.inflate(b, 1 << 20, out), InflateStatus::ok);
  EXPECT_EQ(out, compressible(5000));
}

TEST(Deflate, SmallerWindowsAreHonoured) {
  // A 9-bit window compressor: an inflater with window 9 reads it.
  Deflater d(9);
  Inflater inf(9, true);
  std::string in = compressible(20000), z, out;
  ASSERT_TRUE(d.compress(in, z));
  ASSERT_EQ(inf.inflate(z, 1 << 20, out), InflateStatus::ok);
  EXPECT_EQ(out, in);
}

TEST(Deflate, ClientContextTakeover) {
  // The client keeps its window: the second message refers to the first. A per-connection
  // inflater without reset follows it.
  ClientDeflate client;
  Inflater inf(15, false);
  std::string m1 = compressible(3000), m2 = compressible(3000) + "!";
  std::string z1 = client.message(m1), z2 = client.message(m2);
  EXPECT_LT(z2.size(), z1.size() / 4);  // really uses the context
  std::string out;
  ASSERT_EQ(inf.inflate(z1, 1 << 20, out), InflateStatus::ok);
  EXPECT_EQ(out, m1);
  ASSERT_EQ(inf.inflate(z2, 1 << 20, out), InflateStatus::ok);
  EXPECT_EQ(out, m2);
  // An inflater that resets per message cannot read the second one.
  Inflater reset(15, true);
  ASSERT_EQ(reset.inflate(z1, 1 << 20, out), InflateStatus::ok);
  EXPECT_NE(reset.inflate(z2, 1 << 20, out), InflateStatus::ok);
}

TEST(Deflate, FinalBlockFromTheClient) {
  // RFC 7692 §7.2.3.3: a sender may end a message with a BFINAL block (Z_FINISH).
  ClientDeflate client;
  std::string in = compressible(2000);
  std::string z = client.message(in, Z_FINISH);
  Inflater inf(15, false);
  std::string out;
  ASSERT_EQ(inf.inflate(z, 1 << 20, out), InflateStatus::ok);
  EXPECT_EQ(out, in);
}

TEST(Deflate, LimitIsExact) {
  Deflater d(15);
  Inflater inf(15, true);
  std::string in = compressible(10000), z, out;
  ASSERT_TRUE(d.compress(in, z));
  EXPECT_EQ(inf.inflate(z, 10000, out), InflateStatus::ok);
  EXPECT_EQ(out.size(), 10000u);
  EXPECT_EQ(inf.inflate(z, 9999, out), InflateStatus::too_big);
}

TEST(Deflate, ZipBombStopsAtTheLimit) {
  // 64 MB of zeros deflate to ~64 KB; with a 1 MB limit the inflate stops having allocated
  // about the limit, not 64 MB.
  ClientDeflate client;
  std::string bomb = client.message(std::string(64 << 20, '\0'));
  EXPECT_LT(bomb.size(), 100'000u);
  Inflater inf(15, true);
  std::string out;
  EXPECT_EQ(inf.inflate(bomb, 1 << 20, out), InflateStatus::too_big);
  EXPECT_LE(out.capacity(), (1u << 20) + 1 + kPayloadPadding);
}

TEST(Deflate, InvalidDataIsBadData) {
  Inflater inf(15, true);
  std::string out;
  // BTYPE = 11 (reserved) in the first block header.
  EXPECT_EQ(inf.inflate(std::string("\xff\xff\xff\xff", 4), 1 << 20, out), InflateStatus::bad_data);
  // A distance further back than anything inflated so far.
  Inflater fresh(15, true);
  std::string z;
  ClientDeflate client;
  std::string m1 = client.message(compressible(500));
  std::string m2 = client.message(compressible(500));  // refers to m1's window
  EXPECT_EQ(fresh.inflate(m2, 1 << 20, out), InflateStatus::bad_data);
}

TEST(Deflate, CompressMessageThreshold) {
  std::string out;
  EXPECT_FALSE(compress_message(std::string(kMinCompressSize - 1, 'a'), 15, out));
  EXPECT_TRUE(compress_message(std::string(kMinCompressSize, 'a'), 15, out));
  EXPECT_LT(out.size(), kMinCompressSize);
  EXPECT_FALSE(compress_message(random_bytes(1000), 15, out));  // incompressible: sent as is
  EXPECT_FALSE(compress_message(compressible(1000), 8, out));   // zlib cannot deflate with 8
  EXPECT_TRUE(compress_message(compressible(1000), 9, out));
}

}  // namespace
}  // namespace herald::ws
