#include "ws_codec/message.h"

#include <gtest/gtest.h>

#include <memory>

#include "unit/ws_codec/ws_test_util.h"

namespace herald::ws {
namespace {

using test::bytes;
using test::describe;
using test::masked;
using test::run;

std::string close_frame(std::string_view payload) {
  return masked(Opcode::close, payload);
}

TEST(WsReader, SingleFrameMessages) {
  EXPECT_EQ(run(masked(Opcode::text, "Hello")), "text:Hello");
  EXPECT_EQ(run(masked(Opcode::binary, std::string(256, 'x'))), "binary:#256");
  EXPECT_EQ(run(masked(Opcode::binary, std::string(65536, 'x'))), "binary:#65536");
  EXPECT_EQ(run(masked(Opcode::text, "")), "text:");
  EXPECT_EQ(run(masked(Opcode::ping, "p") + masked(Opcode::pong, "q")), "ping:p|pong:q");
}

TEST(WsReader, ClientRoleReadsRfcUnmaskedFrames) {
  WsLimits client{Role::client};
  EXPECT_EQ(run(bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}), {}, client), "text:Hello");
  EXPECT_EQ(run(bytes({0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o'}), {}, client),
            "text:Hello");
  EXPECT_EQ(run(masked(Opcode::text, "Hello"), {}, client), "error:1002");
}

TEST(WsReader, FragmentsWithInterleavedControlFrames) {
  const std::string wire = masked(Opcode::text, "Hel", false) + masked(Opcode::ping, "x") +
                           masked(Opcode::continuation, "l", false) + masked(Opcode::pong, "") +
                           masked(Opcode::continuation, "o");
  EXPECT_EQ(run(wire), "ping:x|pong:|text:Hello");
}

TEST(WsReader, ControlFrameIsReportedBeforeTheMessageEnds) {
  WsReader reader;
  std::vector<WsEvent> ev;
  reader.feed(masked(Opcode::binary, "ab", false) + masked(Opcode::ping, "now"), ev);
  EXPECT_EQ(describe(ev), "ping:now");
  reader.feed(masked(Opcode::continuation, "cd"), ev);
  EXPECT_EQ(describe(ev), "ping:now|binary:abcd");
}

TEST(WsReader, IdleOnlyBetweenMessages) {
  WsReader reader;
  std::vector<WsEvent> ev;
  EXPECT_TRUE(reader.idle());
  const std::string text = masked(Opcode::text, "Hello");
  reader.feed(std::string_view(text).substr(0, 1), ev);  // half a header
  EXPECT_FALSE(reader.idle());
  reader.feed(std::string_view(text).substr(1, 7), ev);  // header done, payload not
  EXPECT_FALSE(reader.idle());
  reader.feed(std::string_view(text).substr(8), ev);
  EXPECT_TRUE(reader.idle());
  reader.feed(masked(Opcode::text, "a", false) + masked(Opcode::ping, "p"), ev);
  EXPECT_FALSE(reader.idle());  // a fragmented message is open, even between its frames
  reader.feed(masked(Opcode::continuation, "b"), ev);
  EXPECT_TRUE(reader.idle());
  EXPECT_EQ(describe(ev), "text:Hello|ping:p|text:ab");
  reader.feed(masked(Opcode::continuation, "x"), ev);
  EXPECT_FALSE(reader.idle());  // failed
}

// What a session does to save memory: drop the reader whenever it is idle and read the next
// bytes with a fresh one. For every way of cutting the stream in three, the events must be the
// ones a single reader gives.
TEST(WsReader, ReplacingAnIdleReaderChangesNothing) {
  const std::string wire = masked(Opcode::text, "Hel", false) + masked(Opcode::ping, "x") +
                           masked(Opcode::continuation, "lo") + masked(Opcode::binary, "") +
                           masked(Opcode::binary, std::string(130, 'y')) +
                           masked(Opcode::text, "caf\xc3", false) +
                           masked(Opcode::continuation, "\xa9");
  const std::string expected = run(wire);
  ASSERT_EQ(expected, "ping:x|text:Hello|binary:|binary:#130|text:caf\xc3\xa9");
  for (size_t a = 0; a <= wire.size(); ++a) {
    for (size_t b = a; b <= wire.size(); b += 7) {
      std::unique_ptr<WsReader> kept;
      std::vector<WsEvent> ev;
      for (std::string_view chunk :
           {std::string_view(wire).substr(0, a), std::string_view(wire).substr(a, b - a),
            std::string_view(wire).substr(b)}) {
        if (kept) {
          kept->feed(chunk, ev);
          if (kept->idle()) kept.reset();
        } else {
          WsReader fresh;
          fresh.feed(chunk, ev);
          if (!fresh.idle()) kept = std::make_unique<WsReader>(std::move(fresh));
        }
      }
      ASSERT_EQ(describe(ev), expected) << "cut at " << a << " and " << b;
    }
  }
}

TEST(WsReader, SequencingErrors) {
  EXPECT_EQ(run(masked(Opcode::continuation, "x")), "error:1002");
  EXPECT_EQ(run(masked(Opcode::text, "a", false) + masked(Opcode::text, "b")), "error:1002");
  EXPECT_EQ(run(masked(Opcode::text, "a", false) + masked(Opcode::binary, "b")), "error:1002");
  // A complete message followed by a stray continuation.
  EXPECT_EQ(run(masked(Opcode::text, "a") + masked(Opcode::continuation, "b")),
            "text:a|error:1002");
}

TEST(WsReader, FrameRuleErrorsCarryTheirCloseCode) {
  const uint8_t* k = test::kKey;
  EXPECT_EQ(run(bytes({0x81, 0x01, 'a'})), "error:1002");                     // unmasked
  EXPECT_EQ(run(bytes({0xc1, 0x80, k[0], k[1], k[2], k[3]})), "error:1002");  // RSV1
  EXPECT_EQ(run(bytes({0x83, 0x80, k[0], k[1], k[2], k[3]})), "error:1002");  // opcode 3
  EXPECT_EQ(run(bytes({0x09, 0x80, k[0], k[1], k[2], k[3]})), "error:1002");  // ping no FIN
  EXPECT_EQ(run(masked(Opcode::ping, std::string(126, 'p'))), "error:1002");
  EXPECT_EQ(run(masked(Opcode::ping, std::string(125, 'p'))), "ping:#125");
  EXPECT_EQ(run(bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0})), "error:1002");  // 2^63
}

TEST(WsReader, MessageSizeLimit) {
  WsLimits small{Role::server, 10};
  EXPECT_EQ(run(masked(Opcode::text, std::string(10, 'a')), {}, small), "text:aaaaaaaaaa");
  EXPECT_EQ(run(masked(Opcode::text, std::string(11, 'a')), {}, small), "error:1009");
  // Each fragment fits, the sum does not: fails at the header of the crossing fragment.
  const std::string first = masked(Opcode::binary, "123456", false);
  const std::string second = masked(Opcode::continuation, "78901");
  WsReader reader(small);
  std::vector<WsEvent> ev;
  EXPECT_EQ(reader.feed(first, ev), first.size());
  EXPECT_EQ(reader.feed(std::string_view(second).substr(0, 6), ev), 6u);  // header only
  EXPECT_EQ(describe(ev), "error:1009");
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.feed(second.substr(6), ev), 0u);  // nothing more is consumed
  EXPECT_EQ(ev.size(), 1u);
}

TEST(WsReader, ControlFramesDoNotCountTowardsMessageSize) {
  WsLimits small{Role::server, 4};
  EXPECT_EQ(run(masked(Opcode::text, "ab", false) + masked(Opcode::ping, "0123456789") +
                    masked(Opcode::continuation, "cd"),
                {}, small),
            "ping:0123456789|text:abcd");
}

TEST(WsReader, InvalidUtf8FailsOnTheFragmentThatHoldsIt) {
  // Autobahn 6.4.1: the bad fragment must be refused before the message would end.
  WsReader reader;
  std::vector<WsEvent> ev;
  reader.feed(masked(Opcode::text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", false), ev);
  EXPECT_EQ(describe(ev), "");
  reader.feed(masked(Opcode::continuation, "\xf4\x90\x80\x80", false), ev);
  EXPECT_EQ(describe(ev), "error:1007");
}

TEST(WsReader, InvalidUtf8FailsInsideAFrameBeforeItEnds) {
  // Autobahn 6.4.3: one frame sent in chunks; the chunk with the bad byte fails at once.
  const std::string wire = masked(Opcode::text,
                                  "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                                  "\xf4\x90\x80\x80"
                                  "edited");
  WsReader reader;
  std::vector<WsEvent> ev;
  const size_t good = 6 + 11;  // header and the valid prefix
  EXPECT_EQ(reader.feed(std::string_view(wire).substr(0, good), ev), good);
  EXPECT_EQ(describe(ev), "");
  reader.feed(std::string_view(wire).substr(good, 2), ev);  // F4 90: already impossible
  EXPECT_EQ(describe(ev), "error:1007");
}

TEST(WsReader, TextEndingInsideACodePointFailsAtTheEnd) {
  EXPECT_EQ(run(masked(Opcode::text, "a\xe2\x82")), "error:1007");
  EXPECT_EQ(run(masked(Opcode::text, "a\xe2", false) + masked(Opcode::continuation, "\x82\xac")),
            "text:a\xe2\x82\xac");
  // Binary messages are not UTF-8.
  EXPECT_EQ(run(masked(Opcode::binary, "\xff\xfe")), "binary:\xff\xfe");
}

TEST(WsReader, ClosePayloads) {
  EXPECT_EQ(run(close_frame("")), "close:1005:");
  EXPECT_EQ(run(close_frame(close_payload(1000, "bye"))), "close:1000:bye");
  EXPECT_EQ(run(close_frame(bytes({0x03}))), "error:1002");                // 1 byte
  EXPECT_EQ(run(close_frame(close_payload(1000, "\xff"))), "error:1007");  // reason
  EXPECT_EQ(run(close_frame(close_payload(4999, "\xce\xba"))), "close:4999:\xce\xba");
}

TEST(CloseCodes, ValidAndInvalidRanges) {
  for (uint16_t c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(c)) << c;
    EXPECT_EQ(run(close_frame(close_payload(c, ""))), "close:" + std::to_string(c) + ":");
  }
  for (uint16_t c : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(is_valid_close_code(c)) << c;
    std::string p = bytes({c >> 8, c & 0xff});
    EXPECT_EQ(run(close_frame(p)), "error:1002") << c;
  }
}

TEST(WsReader, CompressedMessagesWhenRsv1IsNegotiated) {
  WsLimits deflate{Role::server, 1 << 20, true};
  const uint8_t* k = test::kKey;
  // RSV1 text frame with a non-UTF-8 (deflated) payload: reported as is, flagged compressed.
  std::string wire = bytes({0xc1, 0x82, k[0], k[1], k[2], k[3]});
  std::string payload = "\xff\x00";
  payload.resize(2);
  apply_mask(payload.data(), 2, k);
  wire += payload;
  EXPECT_EQ(describe([&] {
              WsReader r(deflate);
              std::vector<WsEvent> ev;
              r.feed(wire, ev);
              return ev;
            }()),
            std::string("text(z):\xff") + '\0');
  EXPECT_EQ(run(wire), "error:1002");  // without negotiation
}

TEST(WsReader, PayloadsHavePaddingForInPlaceJsonParsing) {
  for (size_t n : {0, 1, 63, 64, 1000, 70000}) {
    WsReader r;
    std::vector<WsEvent> ev;
    r.feed(masked(Opcode::text, std::string(n, 'j')), ev);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_GE(ev[0].payload.capacity() - ev[0].payload.size(), kPayloadPadding) << n;
  }
}

TEST(WsReader, EverySplitGivesTheSameEvents) {
  const std::string stream =
      masked(Opcode::text, "Hel\xe2\x82", false) + masked(Opcode::ping, "p1") +
      masked(Opcode::continuation, "\xaclo", true) + masked(Opcode::binary, std::string(300, 'b')) +
      masked(Opcode::ping, "") + masked(Opcode::text, "") +
      close_frame(close_payload(1001, "going")) + masked(Opcode::text, "after close");
  const std::string whole = run(stream);
  EXPECT_EQ(whole,
            "ping:p1|text:Hel\xe2\x82\xaclo|binary:#300|ping:|text:|close:1001:going|"
            "text:after close");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(run(stream, {cut}), whole) << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  EXPECT_EQ(run(stream, every), whole);
}

TEST(WsReader, EverySplitGivesTheSameError) {
  const std::string stream =
      masked(Opcode::text, "ok") + masked(Opcode::text, "x\xc0y") + masked(Opcode::text, "never");
  EXPECT_EQ(run(stream), "text:ok|error:1007");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(run(stream, {cut}), "text:ok|error:1007") << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  EXPECT_EQ(run(stream, every), "text:ok|error:1007");
}

TEST(WsReader, ResetStartsOver) {
  WsReader r;
  std::vector<WsEvent> ev;
  r.feed(bytes({0x81, 0x00}), ev);
  EXPECT_TRUE(r.failed());
  r.reset();
  ev.clear();
  r.feed(masked(Opcode::text, "again"), ev);
  EXPECT_EQ(describe(ev), "text:again");
}

}  // namespace
}  // namespace herald::ws
