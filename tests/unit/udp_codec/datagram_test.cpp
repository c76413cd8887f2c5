#include "udp_codec/datagram.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::udp_codec {
namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(char(b));
  return s;
}

std::string encoded(const Message& m) {
  std::string out;
  encode(m, &out);
  EXPECT_EQ(out.size(), encoded_size(m));
  return out;
}

// Every field of every type survives encode -> decode, and the decoder reads exactly what the
// encoder wrote (re-encoding the decoded message gives the same bytes).
void round_trip(const Message& m) {
  std::string wire = encoded(m);
  Message d;
  ASSERT_EQ(decode(wire, &d), DecodeError::ok) << type_name(m.type);
  EXPECT_EQ(d.type, m.type);
  EXPECT_EQ(d.session, m.session);
  EXPECT_EQ(encoded(d), wire) << type_name(m.type);
}

Message sample(Type t) {
  Message m;
  m.type = t;
  m.session = 0x0102030405060708ull;
  m.id = 77;
  m.channel = "public:news";
  m.epoch = "Ab12Cd34";
  m.offset = 42;
  m.count = 5;
  m.lease_ms = 30000;
  m.max_datagram = 1200;
  m.size = 5000;
  m.flags = kFlagHadSince | kFlagRecovered;
  m.code = 403;
  m.message = "permission denied";
  m.token = "eyJ.x.y";
  m.data = "{\"text\":\"hi\"}";
  for (size_t i = 0; i < kCookieBytes; ++i) m.cookie[i] = uint8_t(i * 7);
  m.padding = kHelloMinBytes;
  return m;
}

const Type kAll[] = {Type::hello,     Type::open,   Type::subscribe,  Type::unsubscribe,
                     Type::keepalive, Type::resend, Type::publish,    Type::close,
                     Type::cookie,    Type::opened, Type::subscribed, Type::pub,
                     Type::announce,  Type::resent, Type::lease,      Type::published,
                     Type::error,     Type::reset,  Type::ok};

}  // namespace

TEST(UdpDatagram, EveryTypeRoundTrips) {
  for (Type t : kAll) round_trip(sample(t));
}

TEST(UdpDatagram, HeaderBytesAreAsDocumented) {
  Message m = sample(Type::keepalive);
  std::string wire = encoded(m);
  EXPECT_EQ(wire, bytes({0x68, 1, 0x05, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 77}));
  EXPECT_EQ(peek_session(wire), 0x0102030405060708ull);
  stamp_session(wire.data(), 0xaabbccddeeff0011ull);
  EXPECT_EQ(peek_session(wire), 0xaabbccddeeff0011ull);
}

TEST(UdpDatagram, PubLayout) {
  Message m;
  m.type = Type::pub;
  m.session = 1;
  m.channel = "c";
  m.epoch = "E";
  m.offset = 258;
  m.data = "1";
  EXPECT_EQ(encoded(m), bytes({0x68, 1,   0x84, 0,   0, 0, 0, 0, 0, 0, 0, 1,  // header
                               1,    'c', 1,    'E', 0, 0, 0, 0, 0, 0, 1, 2, '1'}));
}

TEST(UdpDatagram, CookieReplyIsNeverLargerThanAHello) {
  EXPECT_LE(encoded_size(sample(Type::cookie)), kHelloMinBytes);
  // The smallest open (anonymous) is also larger than a cookie: answering a stale or forged
  // cookie with a fresh one never amplifies.
  Message open = sample(Type::open);
  open.token = "";
  EXPECT_LE(encoded_size(sample(Type::cookie)), encoded_size(open));
  // A reset is a bare header: never larger than any request that decodes.
  EXPECT_EQ(encoded_size(sample(Type::reset)), kHeaderBytes);
}

TEST(UdpDatagram, RejectsBadHeaders) {
  Message d;
  std::string ok = encoded(sample(Type::keepalive));
  EXPECT_EQ(decode("", &d), DecodeError::too_short);
  EXPECT_EQ(decode(ok.substr(0, 11), &d), DecodeError::too_short);
  std::string x = ok;
  x[0] = 'H';
  EXPECT_EQ(decode(x, &d), DecodeError::bad_magic);
  x = ok;
  x[1] = 2;
  EXPECT_EQ(decode(x, &d), DecodeError::bad_version);
  x = ok;
  x[2] = 0x09;
  EXPECT_EQ(decode(x, &d), DecodeError::unknown_type);
  x[2] = 0x00;
  EXPECT_EQ(decode(x, &d), DecodeError::unknown_type);
  x[2] = char(0x8c);
  EXPECT_EQ(decode(x, &d), DecodeError::unknown_type);
  x = ok;
  x[3] = 1;
  EXPECT_EQ(decode(x, &d), DecodeError::bad_flags);
}

TEST(UdpDatagram, EveryTruncationIsRejected) {
  for (Type t : kAll) {
    std::string wire = encoded(sample(t));
    // pub and publish carry their data to the end: cutting into the data is still a valid
    // (shorter) datagram, so cut only into their fixed fields.
    size_t keep_from = wire.size();
    if (t == Type::pub || t == Type::publish) keep_from = wire.size() - sample(t).data.size();
    if (t == Type::hello) keep_from = kHelloMinBytes;
    for (size_t n = 0; n < keep_from; ++n) {
      Message d;
      EXPECT_NE(decode(std::string_view(wire).substr(0, n), &d), DecodeError::ok)
          << type_name(t) << " cut to " << n;
    }
  }
}

TEST(UdpDatagram, TrailingBytesAreRejected) {
  for (Type t : kAll) {
    if (t == Type::pub || t == Type::publish) continue;
    std::string wire = encoded(sample(t)) + "x";
    Message d;
    EXPECT_NE(decode(wire, &d), DecodeError::ok) << type_name(t);
  }
}

TEST(UdpDatagram, HelloMustBePaddedWithZeros) {
  Message h = sample(Type::hello);
  Message d;
  h.padding = kHelloMinBytes + 100;
  round_trip(h);
  std::string wire = encoded(sample(Type::hello));
  EXPECT_EQ(decode(wire.substr(0, kHelloMinBytes - 1), &d), DecodeError::bad_value);
  wire[40] = 1;
  EXPECT_EQ(decode(wire, &d), DecodeError::bad_value);
}

TEST(UdpDatagram, ChannelsAndEpochsFollowTheGrammar) {
  Message d;
  Message m = sample(Type::subscribe);
  m.channel = "bad channel";
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_channel);
  m = sample(Type::subscribe);
  m.epoch = "no-dash";
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_epoch);
  m.epoch = "";
  m.offset = 0;  // subscribe from now
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::ok);
  EXPECT_TRUE(d.epoch.empty());
  m.offset = 5;  // an offset without an epoch has two encodings of "from now": refused
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_value);
  m = sample(Type::resend);
  m.epoch = "";
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_epoch);
  m = sample(Type::pub);
  m.epoch = "x";
  m.channel = "";
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_channel);
}

TEST(UdpDatagram, ResendCountIsBounded) {
  Message d;
  Message m = sample(Type::resend);
  m.count = 0;
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_value);
  m.count = kMaxResendCount;
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::ok);
  m.count = kMaxResendCount + 1;
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_value);
}

TEST(UdpDatagram, UnknownReplyFlagsAreRejected) {
  Message d;
  Message m = sample(Type::subscribed);
  m.flags = 0x04;
  EXPECT_EQ(decode(encoded(m), &d), DecodeError::bad_flags);
}

TEST(UdpDatagram, DecodedViewsPointIntoTheDatagram) {
  std::string wire = encoded(sample(Type::publish));
  Message d;
  ASSERT_EQ(decode(wire, &d), DecodeError::ok);
  EXPECT_EQ(d.channel, "public:news");
  EXPECT_EQ(d.data, "{\"text\":\"hi\"}");
  EXPECT_GE(d.data.data(), wire.data());
  EXPECT_LE(d.data.data() + d.data.size(), wire.data() + wire.size());
}

TEST(UdpDatagram, TokenUpToItsLengthField) {
  std::string token(3000, 'a');
  Message m = sample(Type::open);
  m.token = token;
  round_trip(m);
  Message d;
  std::string wire = encoded(m);
  ASSERT_EQ(decode(wire, &d), DecodeError::ok);
  EXPECT_EQ(d.token.size(), 3000u);
}

}  // namespace herald::udp_codec

namespace herald::udp_codec {

TEST(UdpDatagram, BinaryFlagOnlyOnPubAndPublish) {
  for (Type t : {Type::pub, Type::publish}) {
    Message m = sample(t);
    m.binary = true;
    m.data = std::string_view("\0\xff{", 3);
    std::string wire = encoded(m);
    EXPECT_EQ(uint8_t(wire[3]), kHeaderBinary);
    Message d;
    ASSERT_EQ(decode(wire, &d), DecodeError::ok);
    EXPECT_TRUE(d.binary);
    EXPECT_EQ(d.data, m.data);
    m.binary = false;
    ASSERT_EQ(decode(encoded(m), &d), DecodeError::ok);
    EXPECT_FALSE(d.binary);
    wire[3] = char(kHeaderBinary | 0x02);  // another bit: still reserved
    EXPECT_EQ(decode(wire, &d), DecodeError::bad_flags);
  }
  // On any other type the bit is reserved, and the encoder never sets it.
  Message m = sample(Type::announce);
  m.binary = true;
  std::string wire = encoded(m);
  EXPECT_EQ(wire[3], 0);
  wire[3] = char(kHeaderBinary);
  Message d;
  EXPECT_EQ(decode(wire, &d), DecodeError::bad_flags);
}

}  // namespace herald::udp_codec
