// The one-pass publish parser must answer exactly like the simdjson reference: same
// acceptance, same channel and data text, same error. Cases cover both the fast path (the
// common shapes) and every reason it hands a body to the reference.
#include "proto/json_scan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/json.h"

namespace herald::proto {
namespace {

void expect_same_as_reference(const std::string& body) {
  PublishBody ref;
  ProtoError ref_err;
  bool ref_ok = parse_publish_body(body, &ref, &ref_err);
  PublishView view;
  ProtoError err;
  bool ok = parse_publish_view(body, &view, &err);
  ASSERT_EQ(ok, ref_ok) << body;
  if (ok) {
    EXPECT_EQ(view.channel.view(), ref.channel) << body;
    EXPECT_EQ(view.data, ref.data) << body;
  } else {
    EXPECT_EQ(err.reason, ref_err.reason) << body;
    EXPECT_EQ(err.message, ref_err.message) << body;
  }
}

TEST(PublishView, AgreesWithReferenceOnValues) {
  for (const char* v : {"0",
                        "-0",
                        "5",
                        "-12",
                        "1.0",
                        "1.25",
                        "-0.5",
                        "1e2",
                        "1E+2",
                        "-1.5e-300",
                        "1e400",
                        "1234567890123456789",
                        "-123456789012345678",
                        "-1234567890123456789",
                        "18446744073709551615",
                        "18446744073709551616",
                        "-9223372036854775808",
                        "123456789012345678901234567890",
                        "0.1234567890123456789",
                        "1.12345678901234567890",
                        "true",
                        "false",
                        "null",
                        "tru",
                        "nul",
                        "falsey",
                        "01",
                        "1.",
                        ".5",
                        "-",
                        "+1",
                        "1x",
                        R"("")",
                        R"("plain")",
                        R"("quote \" backslash \\ slash \/ ctl \b\f\n\r\t")",
                        R"("\u00e9 \ud83d\ude00")",
                        R"("\ud83d")",
                        R"("\x")",
                        "\"caf\xc3\xa9\"",
                        "\"\xff\"",
                        "\"tab\there\"",
                        R"({"t":1234567890123,"s":7,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})",
                        R"({"a": [1, 2, {"b" : null}] , "c":"d e"})",
                        R"({"nested":{"deep":[[[[{"k":"v"}]]]]}})",
                        R"([])",
                        R"({})",
                        R"([1,])",
                        R"({"a":1,})",
                        R"({"a" 1})",
                        R"({"a":1 "b":2})",
                        R"([1 2])",
                        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]"
                        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"}) {
    expect_same_as_reference(std::string(R"({"channel":"c","data":)") + v + "}");
  }
}

TEST(PublishView, AgreesWithReferenceOnShapes) {
  const std::string long_string = "\"" + std::string(300, 'x') + "\"";
  for (const std::string& b : std::vector<std::string>{
           R"({"channel":"chat:1","data":{"text": "hi"}})",
           R"(  {"channel" : "c" , "data" : [ 1 , 2 ] }  )",
           R"({"data":1,"channel":"c"})",
           R"({"channel":"c","data":1,"extra":{"x":[true,false,null]}})",
           R"({"channel":"c","data":)" + long_string + "}",
           R"({"channel":"c"})",
           R"({"data":1})",
           R"({"channel":"c/d","data":1})",
           R"({"channel":"","data":1})",
           R"({"channel":"c\u0041","data":1})",
           R"({"channel":"c\/d","data":1})",
           R"({"channel":5,"data":1})",
           R"({"channel":"c","data":1,"channel":"d"})",
           R"({"channel":"c","data":1,"data":2})",
           R"({"channel":"c","data":1,"x":1,"x":2})",
           R"({"c\u0068annel":"c","data":1})",
           R"({"ch\nannel":"c","data":1})",
           "{\"channel\":\"c\",\"data\":",
           R"({"channel":"c","data":1}x)",
           R"({"channel":"c","data":1}})",
           R"([{"channel":"c","data":1}])",
           R"("text")",
           "",
           "   ",
           "\xef\xbb\xbf{\"channel\":\"c\",\"data\":1}",
           std::string("{\"channel\":\"c\",\"data\":\"a") + '\0' + "b\"}",
           "{\"channel\":\"c\",\"data\":1}\n",
       }) {
    expect_same_as_reference(b);
  }
}

TEST(PublishView, CompactBodyIsNotCopied) {
  std::string body = R"({"channel":"c","data":{"a":[1,2]}})";
  PublishView v;
  ProtoError err;
  ASSERT_TRUE(parse_publish_view(body, &v, &err));
  EXPECT_EQ(v.data, R"({"a":[1,2]})");
  EXPECT_GE(v.data.data(), body.data());
  EXPECT_LT(v.data.data(), body.data() + body.size());
}

TEST(ScanObject, ReportsFieldsAndCompactness) {
  static constexpr std::string_view kNames[] = {"a", "b"};
  scan::Field f[2];
  ASSERT_TRUE(scan::scan_object(R"({"a":[1, 2],"z":0,"b":"x y"})", kNames, f));
  EXPECT_TRUE(f[0].seen);
  EXPECT_EQ(f[0].raw, "[1, 2]");
  EXPECT_FALSE(f[0].compact);
  EXPECT_EQ(f[1].raw, R"("x y")");
  EXPECT_TRUE(f[1].compact);  // the space is inside a string
  EXPECT_FALSE(scan::scan_object(R"({"a":1,"a":2})", kNames, f));
  EXPECT_FALSE(scan::scan_object(R"({"a":1e5})", kNames, f));
  std::string_view s;
  EXPECT_TRUE(scan::plain_string(R"("abc")", &s));
  EXPECT_EQ(s, "abc");
  EXPECT_FALSE(scan::plain_string(R"("a\"c")", &s));
  EXPECT_FALSE(scan::plain_string("5", &s));
}

}  // namespace
}  // namespace herald::proto
