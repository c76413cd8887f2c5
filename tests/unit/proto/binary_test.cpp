#include "proto/binary.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::proto {
namespace {

std::string all_bytes() {
  std::string s;
  for (int c = 0; c < 256; ++c) s.push_back(char(c));
  return s;
}

std::string b64(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

ProtoError bad_binary(std::string_view frame) {
  Command c;
  ProtoError err;
  EXPECT_FALSE(parse_binary_command(frame, &c, &err)) << "accepted: " << frame;
  return err;
}

std::string frame(std::string_view object, std::string_view bytes) {
  std::string f(object);
  f.push_back('\0');
  f.append(bytes);
  return f;
}

}  // namespace

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_size(0), 0u);
  EXPECT_EQ(base64_size(1), 4u);
  EXPECT_EQ(base64_size(6), 8u);
}

TEST(Base64, RoundTripsEveryByteAtEveryLength) {
  std::string bytes = all_bytes() + all_bytes();
  for (size_t n = 0; n <= bytes.size(); n += 37) {
    std::string in = bytes.substr(0, n);
    std::string text = b64(in);
    EXPECT_EQ(text.size(), base64_size(n));
    std::string out = "keep";
    ASSERT_TRUE(decode_base64(text, &out)) << text;
    EXPECT_EQ(out, "keep" + in);
  }
}

TEST(Base64, RefusesWhatIsNotCanonicalPaddedBase64) {
  for (std::string_view bad : {"Zg", "Zg=", "Zm9", "Z===", "====", "Zm9v\n", " Zm9v", "Zm-v",
                               "Zm_v", "Zh==", "Zm9=", "Zg==Zg==", "Z=g=", "Zm=v"}) {
    std::string out = "x";
    EXPECT_FALSE(decode_base64(bad, &out)) << bad;
    EXPECT_EQ(out, "x") << bad;
  }
}

TEST(BinaryCommand, PublishWithEveryByteValue) {
  Command c;
  ProtoError err;
  ASSERT_TRUE(parse_binary_command(frame(R"({"id":7,"op":"publish","channel":"c"})", all_bytes()),
                                   &c, &err))
      << err.message;
  EXPECT_EQ(c.op, Op::publish);
  EXPECT_EQ(c.id, 7u);
  EXPECT_EQ(c.channel, "c");
  EXPECT_TRUE(c.has_data);
  EXPECT_TRUE(c.binary);
  EXPECT_EQ(c.data, all_bytes());
}

TEST(BinaryCommand, EmptyPayloadAndNulInsideIt) {
  Command c;
  ProtoError err;
  ASSERT_TRUE(parse_binary_command(frame(R"({"op":"publish","channel":"c"})", ""), &c, &err));
  EXPECT_TRUE(c.binary);
  EXPECT_EQ(c.data, "");
  // Only the first NUL separates: the payload may hold more.
  ASSERT_TRUE(parse_binary_command(
      frame(R"({"op":"publish","channel":"c"})", std::string("\0\0", 2)), &c, &err));
  EXPECT_EQ(c.data, std::string("\0\0", 2));
}

TEST(BinaryCommand, ErrorsCarryTheIdWhenItCanBeRead) {
  ProtoError e = bad_binary(R"({"id":3,"op":"publish","channel":"c"})");
  EXPECT_EQ(e.reason, ProtoErrc::no_separator);
  EXPECT_TRUE(e.has_id);
  EXPECT_EQ(e.id, 3u);
  EXPECT_EQ(e.message, "binary frame without NUL separator");

  e = bad_binary("\x89PNG raw bytes");
  EXPECT_EQ(e.reason, ProtoErrc::no_separator);
  EXPECT_FALSE(e.has_id);

  e = bad_binary(frame(R"({"id":4,"op":"publish","channel":"c",})", "x"));
  EXPECT_EQ(e.reason, ProtoErrc::malformed_json);
  EXPECT_FALSE(e.has_id);  // not JSON: no id can be trusted

  e = bad_binary(frame(R"({"id":5,"op":"subscribe","channel":"c"})", "x"));
  EXPECT_EQ(e.reason, ProtoErrc::binary_op);
  EXPECT_EQ(e.id, 5u);

  e = bad_binary(frame(R"({"id":6,"op":"publish","channel":"c","data":1})", "x"));
  EXPECT_EQ(e.reason, ProtoErrc::two_payloads);
  EXPECT_EQ(e.id, 6u);

  e = bad_binary(frame(R"({"id":8,"op":"publish","channel":"c","b64":""})", "x"));
  EXPECT_EQ(e.reason, ProtoErrc::two_payloads);

  e = bad_binary(frame(R"({"id":9,"op":"publish"})", "x"));
  EXPECT_EQ(e.reason, ProtoErrc::missing_channel);
  EXPECT_EQ(e.id, 9u);
}

TEST(JsonPayload, B64InTextCommandsAndBodies) {
  Command c;
  ProtoError err;
  ASSERT_TRUE(parse_command(R"({"id":1,"op":"publish","channel":"c","b64":"AAEC/w=="})", &c, &err));
  EXPECT_TRUE(c.binary);
  EXPECT_EQ(c.data, std::string("\x00\x01\x02\xff", 4));
  // An escaped slash is still base64 once the string is read.
  ASSERT_TRUE(parse_command(R"({"op":"publish","channel":"c","b64":"AAEC\/w=="})", &c, &err));
  EXPECT_EQ(c.data, std::string("\x00\x01\x02\xff", 4));
  ASSERT_TRUE(parse_command(R"({"op":"publish","channel":"c","data":{"a":1}})", &c, &err));
  EXPECT_FALSE(c.binary);

  EXPECT_FALSE(parse_command(R"({"id":2,"op":"publish","channel":"c","b64":"AA="})", &c, &err));
  EXPECT_EQ(err.reason, ProtoErrc::bad_base64);
  EXPECT_EQ(err.id, 2u);
  EXPECT_EQ(err.message, "bad base64 in b64");
  EXPECT_FALSE(parse_command(R"({"id":2,"op":"publish","channel":"c","b64":5})", &c, &err));
  EXPECT_EQ(err.message, "bad field: b64");
  EXPECT_FALSE(
      parse_command(R"({"id":2,"op":"publish","channel":"c","b64":"","data":1})", &c, &err));
  EXPECT_EQ(err.reason, ProtoErrc::two_payloads);

  PublishView v;
  ASSERT_TRUE(parse_publish_view(R"({"channel":"c","b64":"aGk="})", &v, &err));
  EXPECT_TRUE(v.binary);
  EXPECT_EQ(v.data, "hi");
  ASSERT_TRUE(parse_publish_view(R"({"channel":"c","data":"hi"})", &v, &err));
  EXPECT_FALSE(v.binary);
  EXPECT_FALSE(parse_publish_view(R"({"channel":"c","data":1,"b64":"aGk="})", &v, &err));
  EXPECT_EQ(err.reason, ProtoErrc::two_payloads);
  EXPECT_FALSE(parse_publish_view(R"({"channel":"c"})", &v, &err));
  EXPECT_EQ(err.reason, ProtoErrc::missing_data);

  BroadcastBody b;
  ASSERT_TRUE(parse_broadcast_body(R"({"channels":["a","b"],"b64":"aGk="})", &b, &err));
  EXPECT_TRUE(b.binary);
  EXPECT_EQ(b.data, "hi");
}

TEST(BinaryPush, FrameAndBase64Forms) {
  std::string out;
  encode_binary_push(out, "c", 42, std::string("\0\xff", 2));
  EXPECT_EQ(out, std::string("{\"channel\":\"c\",\"offset\":42}\0\0\xff", 30));
  out.clear();
  encode_push_b64(out, "c", 42, "hi");
  EXPECT_EQ(out, R"({"channel":"c","offset":42,"b64":"aGk="})");
  out.clear();
  append_history_entry(out, {3, "hi", true});
  append_history_entry(out, {4, "{}", false});
  EXPECT_EQ(out, R"({"offset":3,"b64":"aGk="}{"offset":4,"data":{}})");
}

TEST(BinaryFits, MaxMessageAndTheBase64PushUnderTheOutputLimit) {
  base::Settings s;
  s.ws_max_message = 1000;
  s.max_output_bytes = 4 * 1024 * 1024;
  EXPECT_TRUE(binary_fits(0, s));
  EXPECT_TRUE(binary_fits(1000, s));
  EXPECT_FALSE(binary_fits(1001, s));
  // A payload within max_message whose base64 push would not fit the output limit.
  s.ws_max_message = 1 << 20;
  s.max_output_bytes = 4096;
  size_t largest = (4096 - kBinaryPushOverhead) / 4 * 3;
  EXPECT_TRUE(binary_fits(largest, s));
  EXPECT_FALSE(binary_fits(largest + 1, s));
}

}  // namespace herald::proto
