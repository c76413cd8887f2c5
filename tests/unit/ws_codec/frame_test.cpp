#include "ws_codec/frame.h"

#include <gtest/gtest.h>

#include "unit/ws_codec/ws_test_util.h"

namespace herald::ws {
namespace {

using test::bytes;

FrameParserOptions client_side() {
  return {Role::client, 1 << 20, false};
}

// Runs one complete frame through a parser and returns its payload; fails the test otherwise.
std::string decode_one(std::string_view in, FrameParserOptions opt, FrameHeader* header = nullptr) {
  FrameParser p(opt);
  std::string payload;
  ParseResult r = p.parse(in, payload);
  EXPECT_EQ(r.status, ParseStatus::header);
  if (header) *header = p.header();
  ParseResult r2 = p.parse(in.substr(r.consumed), payload);
  EXPECT_EQ(r2.status, ParseStatus::frame);
  EXPECT_EQ(r.consumed + r2.consumed, in.size());
  return payload;
}

TEST(FrameParser, Rfc6455UnmaskedHello) {
  FrameHeader h;
  EXPECT_EQ(decode_one(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), client_side(), &h),
            "Hello");
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, Opcode::text);
  EXPECT_FALSE(h.masked);
}

TEST(FrameParser, Rfc6455MaskedHello) {
  const std::string wire =
      bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(decode_one(wire, {}), "Hello");
  EXPECT_EQ(test::masked(Opcode::text, "Hello"), wire);  // our client encoder agrees
}

TEST(FrameParser, Rfc6455FragmentsAndControlFrames) {
  EXPECT_EQ(decode_one(bytes({0x01, 0x03, 0x48, 0x65, 0x6c}), client_side()), "Hel");
  EXPECT_EQ(decode_one(bytes({0x80, 0x02, 0x6c, 0x6f}), client_side()), "lo");
  FrameHeader h;
  EXPECT_EQ(decode_one(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), client_side(), &h),
            "Hello");
  EXPECT_EQ(h.opcode, Opcode::ping);
  EXPECT_EQ(
      decode_one(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), {}, &h),
      "Hello");
  EXPECT_EQ(h.opcode, Opcode::pong);
}

TEST(FrameParser, Rfc6455ExtendedLengths) {
  FrameHeader h;
  std::string p256(256, 'a');
  EXPECT_EQ(decode_one(bytes({0x82, 0x7e, 0x01, 0x00}) + p256, client_side(), &h), p256);
  EXPECT_EQ(h.length, 256u);
  std::string p64k(65536, 'b');
  EXPECT_EQ(
      decode_one(bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + p64k, client_side(), &h),
      p64k);
  EXPECT_EQ(h.length, 65536u);
}

TEST(FrameParser, EmptyPayloadFrameIsReportedWithoutMoreInput) {
  FrameParser p;
  std::string payload;
  const std::string wire = test::masked(Opcode::ping, "");
  ParseResult r = p.parse(wire, payload);
  EXPECT_EQ(r.status, ParseStatus::header);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(p.parse({}, payload).status, ParseStatus::frame);
  EXPECT_EQ(p.parse({}, payload).status, ParseStatus::need_more);
}

TEST(FrameParser, NonMinimalLengthsAreAccepted) {
  // RFC 6455 §5.2 asks senders for the minimal form; a receiver gains nothing by refusing.
  EXPECT_EQ(decode_one(bytes({0x81, 0x7e, 0x00, 0x02, 'h', 'i'}), client_side()), "hi");
  EXPECT_EQ(decode_one(bytes({0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x02, 'h', 'i'}), client_side()),
            "hi");
}

TEST(FrameParser, UnmasksAcrossArbitraryChunks) {
  std::string text;
  for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>('a' + i % 26));
  const std::string wire = test::masked(Opcode::binary, text);
  for (size_t chunk = 1; chunk < 20; ++chunk) {
    FrameParser p;
    std::string payload;
    size_t pos = 0;
    bool done = false;
    while (pos < wire.size() && !done) {
      std::string_view piece = std::string_view(wire).substr(pos, chunk);
      size_t used = 0;
      for (;;) {
        ParseResult r = p.parse(piece.substr(used), payload);
        used += r.consumed;
        ASSERT_NE(r.status, ParseStatus::error);
        if (r.status == ParseStatus::frame) done = true;
        if (r.status == ParseStatus::need_more || done) break;
      }
      pos += used;
    }
    EXPECT_TRUE(done);
    EXPECT_EQ(payload, text) << chunk;
  }
}

struct BadHeader {
  const char* name;
  std::string wire;
  uint16_t code;
  Role role = Role::server;
};

TEST(FrameParser, RejectsFrameRuleViolations) {
  const uint8_t* k = test::kKey;
  std::vector<BadHeader> cases = {
      {"unmasked client frame", bytes({0x81, 0x02, 'h', 'i'}), 1002},
      {"masked server frame", test::masked(Opcode::text, "hi"), 1002, Role::client},
      {"rsv1 without extension", bytes({0xc1, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"rsv2", bytes({0xa1, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"rsv3", bytes({0x91, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"fragmented ping", bytes({0x09, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"fragmented close", bytes({0x08, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"fragmented pong", bytes({0x0a, 0x80, k[0], k[1], k[2], k[3]}), 1002},
      {"ping of 126 bytes", bytes({0x89, 0xfe, 0x00, 0x7e}), 1002},
      {"64-bit length top bit", bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1}), 1002},
      {"frame above max_payload", bytes({0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 1}), 1009},
  };
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
    cases.push_back({"reserved opcode", bytes({0x80 | op, 0x80, k[0], k[1], k[2], k[3]}), 1002});
  }
  for (const BadHeader& c : cases) {
    FrameParser p({c.role, 1 << 20, false});
    std::string payload;
    ParseResult r = p.parse(c.wire, payload);
    EXPECT_EQ(r.status, ParseStatus::error) << c.name;
    EXPECT_EQ(r.close_code, c.code) << c.name;
    EXPECT_TRUE(payload.empty()) << c.name;
    // Sticky: a failed parser never resumes.
    EXPECT_EQ(p.parse(test::masked(Opcode::text, "x"), payload).status, ParseStatus::error);
  }
}

TEST(FrameParser, ShapeErrorsFailOnTheFirstTwoBytes) {
  FrameParser p;
  std::string payload;
  ParseResult r = p.parse(bytes({0x83, 0xfe}), payload);  // opcode 3, 16-bit length not yet sent
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.close_code, 1002);
}

TEST(FrameParser, OversizeFrameFailsFromItsHeaderAlone) {
  FrameParser p({Role::server, 1000, false});
  std::string payload;
  // Header of a 1001-byte masked binary frame; not one payload byte sent.
  ParseResult r = p.parse(bytes({0x82, 0xfe, 0x03, 0xe9, 1, 2, 3, 4}), payload);
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.close_code, 1009);
  // Exactly the limit is fine.
  FrameParser ok({Role::server, 1000, false});
  EXPECT_EQ(ok.parse(bytes({0x82, 0xfe, 0x03, 0xe8, 1, 2, 3, 4}), payload).status,
            ParseStatus::header);
}

TEST(FrameParser, Rsv1AllowedOnlyOnFirstDataFrameWhenNegotiated) {
  FrameParserOptions opt{Role::server, 1 << 20, true};
  const uint8_t* k = test::kKey;
  std::string payload;
  FrameParser p(opt);
  EXPECT_EQ(p.parse(bytes({0xc1, 0x80, k[0], k[1], k[2], k[3]}), payload).status,
            ParseStatus::header);
  EXPECT_TRUE(p.header().rsv1);
  for (int b0 : {0xc0 /* continuation */, 0xc9 /* ping */}) {
    FrameParser q(opt);
    ParseResult r = q.parse(bytes({b0, 0x80, k[0], k[1], k[2], k[3]}), payload);
    EXPECT_EQ(r.status, ParseStatus::error) << b0;
    EXPECT_EQ(r.close_code, 1002);
  }
}

TEST(FrameEncoder, HeaderSizesFollowTheLength) {
  char out[kMaxFrameHeader];
  EXPECT_EQ(frame_header(Opcode::text, 0, true, out), 2u);
  EXPECT_EQ(frame_header(Opcode::text, 125, true, out), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x81);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 125);
  EXPECT_EQ(frame_header(Opcode::binary, 126, false, out), 4u);
  EXPECT_EQ(std::string(out, 4), bytes({0x02, 0x7e, 0x00, 0x7e}));
  EXPECT_EQ(frame_header(Opcode::binary, 65535, true, out), 4u);
  EXPECT_EQ(frame_header(Opcode::binary, 65536, true, out), 10u);
  EXPECT_EQ(std::string(out, 10), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(frame_header(Opcode::text, 5, true, out, /*rsv1=*/true), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0xc1);
  EXPECT_EQ(client_frame_header(Opcode::text, 5, true, test::kKey, out), 6u);
  EXPECT_EQ(client_frame_header(Opcode::text, 200, true, test::kKey, out), 8u);
  EXPECT_EQ(client_frame_header(Opcode::text, 70000, true, test::kKey, out), 14u);
}

TEST(FrameEncoder, EncodesRfcExamples) {
  EXPECT_EQ(encode_frame(Opcode::text, "Hello"), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_EQ(encode_frame(Opcode::text, "Hel", false), bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
  EXPECT_EQ(encode_frame(Opcode::continuation, "lo"), bytes({0x80, 0x02, 0x6c, 0x6f}));
  EXPECT_EQ(encode_client_frame(Opcode::pong, "Hello", test::kKey),
            bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(FrameEncoder, ClosePayloads) {
  EXPECT_EQ(encode_close(1000, "bye"), bytes({0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'}));
  EXPECT_EQ(encode_close(1005), bytes({0x88, 0x00}));  // 1005 never goes on the wire
  EXPECT_EQ(close_payload(4001, ""), bytes({0x0f, 0xa1}));
  // A long reason is cut to 123 bytes, and never inside a UTF-8 sequence.
  std::string reason(122, 'a');
  reason += "\xe2\x82\xac";  // a 3-byte euro sign straddling the 123-byte limit
  std::string p = close_payload(1000, reason);
  EXPECT_EQ(p.size(), 2u + 122u);
  EXPECT_LE(encode_close(1000, std::string(500, 'x')).size(), 2u + 125u);
}

TEST(FrameEncoder, ApplyMaskIsItsOwnInverseAtAnyOffset) {
  std::string data = "The quick brown fox jumps over the lazy dog";
  for (uint64_t off = 0; off < 8; ++off) {
    std::string d = data;
    apply_mask(d.data(), d.size(), test::kKey, off);
    for (size_t i = 0; i < d.size(); ++i) {
      ASSERT_EQ(static_cast<uint8_t>(d[i]),
                static_cast<uint8_t>(data[i]) ^ test::kKey[(i + off) % 4]);
    }
    apply_mask(d.data(), d.size(), test::kKey, off);
    EXPECT_EQ(d, data);
  }
}

}  // namespace
}  // namespace herald::ws
