#include "proto/json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::proto {
namespace {

Command ok_command(std::string_view json) {
  Command c;
  ProtoError err;
  EXPECT_TRUE(parse_command(json, &c, &err)) << json << " -> " << err.message;
  return c;
}

ProtoError bad_command(std::string_view json) {
  Command c;
  ProtoError err;
  EXPECT_FALSE(parse_command(json, &c, &err)) << "accepted: " << json;
  return err;
}

std::string encoded_error(const ProtoError& e) {
  std::string out;
  encode_error(out, e);
  return out;
}

}  // namespace

TEST(ParseCommand, Connect) {
  Command c = ok_command(R"({"id":1,"op":"connect","token":"a.b.c"})");
  EXPECT_TRUE(c.has_id);
  EXPECT_EQ(c.id, 1u);
  EXPECT_EQ(c.op, Op::connect);
  EXPECT_TRUE(c.has_token);
  EXPECT_EQ(c.token, "a.b.c");
  EXPECT_FALSE(c.has_channel);
  c = ok_command(R"({"op":"connect"})");
  EXPECT_FALSE(c.has_id);
  EXPECT_FALSE(c.has_token);
}

TEST(ParseCommand, SubscribeWithAndWithoutSince) {
  Command c = ok_command(R"({"id":2,"op":"subscribe","channel":"c","since":"E:41"})");
  EXPECT_EQ(c.op, Op::subscribe);
  EXPECT_EQ(c.channel, "c");
  EXPECT_TRUE(c.has_since);
  EXPECT_EQ(c.since.str(), "E:41");
  c = ok_command(R"({"id":2,"op":"subscribe","channel":"news:x"})");
  EXPECT_FALSE(c.has_since);
  EXPECT_EQ(c.since, base::Cursor{});
}

TEST(ParseCommand, UnsubscribePresencePing) {
  Command c = ok_command(R"({"id":3,"op":"unsubscribe","channel":"c"})");
  EXPECT_EQ(c.op, Op::unsubscribe);
  EXPECT_EQ(c.channel, "c");
  c = ok_command(R"({"id":6,"op":"presence","channel":"p:q"})");
  EXPECT_EQ(c.op, Op::presence);
  EXPECT_EQ(c.channel, "p:q");
  c = ok_command(R"({"id":7,"op":"ping"})");
  EXPECT_EQ(c.op, Op::ping);
  EXPECT_EQ(c.id, 7u);
}

TEST(ParseCommand, PublishKeepsDataMinified) {
  Command c = ok_command(
      "{ \"id\" : 4 ,\n \"op\":\"publish\", \"channel\":\"c\",\t\"data\" : { \"a\" : [ 1 , 2 ],"
      " \"s\" : \"x y\" } }");
  EXPECT_EQ(c.op, Op::publish);
  EXPECT_EQ(c.id, 4u);
  EXPECT_TRUE(c.has_data);
  EXPECT_EQ(c.data, R"({"a":[1,2],"s":"x y"})");
}

TEST(ParseCommand, HistoryWithEveryField) {
  Command c = ok_command(R"({"id":5,"op":"history","channel":"c","since":"E:0","limit":50})");
  EXPECT_EQ(c.op, Op::history);
  EXPECT_EQ(c.since.str(), "E:0");
  EXPECT_TRUE(c.has_limit);
  EXPECT_EQ(c.limit, 50u);
}

TEST(ParseCommand, IdsCoverTheWholeUint64Range) {
  EXPECT_EQ(ok_command(R"({"id":0,"op":"ping"})").id, 0u);
  EXPECT_EQ(ok_command(R"({"id":18446744073709551615,"op":"ping"})").id, 18446744073709551615u);
}

TEST(ParseCommand, ReusesTheOutputAndResetsAbsentFields) {
  Command c;
  ProtoError err;
  ASSERT_TRUE(parse_command(R"({"id":4,"op":"publish","channel":"c","data":1,"limit":3,
                               "since":"E:1","token":"t"})",
                            &c, &err));
  ASSERT_TRUE(parse_command(R"({"op":"ping"})", &c, &err));
  EXPECT_FALSE(c.has_id);
  EXPECT_FALSE(c.has_channel);
  EXPECT_FALSE(c.has_data);
  EXPECT_FALSE(c.has_limit);
  EXPECT_FALSE(c.has_since);
  EXPECT_FALSE(c.has_token);
  EXPECT_EQ(c.data, "");
  EXPECT_EQ(c.channel, "");
}

TEST(ParseCommand, IgnoresUnknownFields) {
  Command c = ok_command(R"({"id":9,"op":"ping","future":{"x":[1,"}"]},"z":null})");
  EXPECT_EQ(c.op, Op::ping);
  EXPECT_EQ(c.id, 9u);
}

TEST(ParseCommand, MatchesEscapedKeys) {
  Command c = ok_command(R"({"op":"publish","ch\u0061nnel":"c","d\u0061ta":"v"})");
  EXPECT_EQ(c.channel, "c");
  EXPECT_EQ(c.data, R"("v")");
}

TEST(ParseCommand, DataOfEveryJsonTypeRoundTripsByteExact) {
  for (std::string_view v :
       {R"({})",
        R"([])",
        R"({"a":1})",
        R"([1,"2",null,true,false,{"b":[]}])",
        R"("x")",
        R"("")",
        "0",
        "-0",
        "5",
        "-12",
        "1.0",
        "1e2",
        "1E+2",
        "-1.5e-300",
        "18446744073709551615",
        "-9223372036854775808",
        "true",
        "false",
        "null",
        R"("quote \" backslash \\ slash \/ ctl \b\f\n\r\t \u0000 \u00e9 \ud83d\ude00")",
        "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\"",
        R"({"nested":{"deep":[[[[{"k":"v"}]]]]},"order":{"z":1,"a":2}})"}) {
    std::string frame = R"({"op":"publish","channel":"c","data":)" + std::string(v) + "}";
    EXPECT_EQ(ok_command(frame).data, v);
    PublishBody body;
    ProtoError err;
    ASSERT_TRUE(parse_publish_body(R"({"channel":"c","data":)" + std::string(v) + "}", &body, &err))
        << v;
    EXPECT_EQ(body.data, v);
  }
}

// JSON numbers have no range: those that fit none of int64, uint64 and double (which simdjson
// 3.0 refuses) are carried as sent, like every other value of `data`.
TEST(ParseCommand, NumbersPastEveryMachineTypeAreCarriedVerbatim) {
  for (std::string_view v :
       {"123456789012345678901234567890", "18446744073709551616", "-9223372036854775809", "1e400",
        "1e309", "-1.5E+99999", "123456789012345678901234567890.5",
        R"([18446744073709551616,1e309,{"n":-99999999999999999999,"s":"18446744073709551616"}])"}) {
    std::string frame = R"({"id":1,"op":"publish","channel":"c","data":)" + std::string(v) + "}";
    Command c = ok_command(frame);
    EXPECT_EQ(c.data, v);
    EXPECT_EQ(c.id, 1u);
    PublishBody body;
    ProtoError err;
    ASSERT_TRUE(parse_publish_body(R"({"channel":"c","data":)" + std::string(v) + "}", &body, &err))
        << v;
    EXPECT_EQ(body.data, v);
    PublishView view;
    ASSERT_TRUE(parse_publish_view(R"({"channel":"c","data":)" + std::string(v) + "}", &view, &err))
        << v;
    EXPECT_EQ(view.data, v);
    std::string minified;
    ASSERT_TRUE(minify_json(v, &minified));
    EXPECT_EQ(minified, v);
  }
  // Whitespace is still dropped around such numbers; a malformed number stays malformed.
  Command c = ok_command(R"({"op":"publish","channel":"c","data":[ 1e400 , 2 ]})");
  EXPECT_EQ(c.data, "[1e400,2]");
  for (std::string_view bad : {"[1e400,01]", "[1e400,]", "1e400x", "-", "[18446744073709551616"}) {
    ProtoError e = bad_command(R"({"op":"publish","channel":"c","data":)" + std::string(bad) + "}");
    EXPECT_EQ(e.reason, ProtoErrc::malformed_json) << bad;
  }
}

TEST(ParseCommand, NumbersTheServerReadsMustFit) {
  ProtoError e =
      bad_command(R"({"id":1,"op":"history","channel":"c","limit":18446744073709551616})");
  EXPECT_EQ(e.message, "bad field: limit");
  EXPECT_EQ(e.id, 1u);
  e = bad_command(R"({"id":18446744073709551616,"op":"ping","data":1e400})");
  EXPECT_EQ(e.message, "bad field: id");
  EXPECT_FALSE(e.has_id);
  EXPECT_EQ(e.id_text, "18446744073709551616");
  EXPECT_EQ(encoded_error(e),
            R"({"id":18446744073709551616,"error":{"code":400,"message":"bad field: id"}})");
}

TEST(ParseCommand, StringsWithWhitespaceInsideKeepIt) {
  Command c = ok_command("{\"op\":\"publish\",\"channel\":\"c\",\"data\":[ \" a \\\" } \" , 2 ]}");
  EXPECT_EQ(c.data, R"([" a \" } ",2])");
}

TEST(ParseCommand, DecodesUnicodeInStrings) {
  Command c = ok_command(R"({"op":"connect","token":"\u00e9\ud83d\ude00\n"})");
  EXPECT_EQ(c.token, "\xc3\xa9\xf0\x9f\x98\x80\n");
}

TEST(ParseCommandErrors, MalformedJsonHasNoId) {
  for (std::string_view frame :
       {"", " ", "{", R"({"id":1,"op":"ping")", R"({"id":1,"op":"ping"} x)", "nul",
        R"({"id":1,"op":'ping'})", "{\"id\":1,\"op\":\"p\xff\"}", R"({"id":1,"op":"ping",})",
        "{\"op\":\"publish\",\"channel\":\"c\",\"data\":\"a\x01\"}", R"({"data":[1,]})",
        R"({"id":1,"op":"ping","data":01})"}) {
    ProtoError e = bad_command(frame);
    EXPECT_EQ(e.code, 400) << frame;
    EXPECT_EQ(e.reason, ProtoErrc::malformed_json) << frame;
    EXPECT_FALSE(e.has_id) << frame;
    EXPECT_EQ(encoded_error(e), R"({"error":{"code":400,"message":"malformed JSON"}})");
  }
}

TEST(ParseCommandErrors, NotAnObject) {
  for (std::string_view frame : {"[1]", "5", R"("op")", "null"}) {
    ProtoError e = bad_command(frame);
    EXPECT_EQ(e.code, 400);
    EXPECT_EQ(e.reason, ProtoErrc::not_object);
    EXPECT_FALSE(e.has_id);
  }
}

TEST(ParseCommandErrors, BadIdIsEchoedWhenItIsANumber) {
  struct Case {
    std::string_view frame;
    std::string_view id_text;
  };
  for (const Case& c :
       {Case{R"({"id":-1,"op":"ping"})", "-1"}, Case{R"({"id":1.5,"op":"ping"})", "1.5"},
        Case{R"({"id":1e3,"op":"ping"})", "1e3"}, Case{R"({"id":1e400,"op":"ping"})", "1e400"},
        Case{R"({"id":"1","op":"ping"})", ""}, Case{R"({"id":null,"op":"ping"})", ""},
        Case{R"({"id":[1],"op":"ping"})", ""}}) {
    ProtoError e = bad_command(c.frame);
    EXPECT_EQ(e.reason, ProtoErrc::bad_field) << c.frame;
    EXPECT_EQ(e.message, "bad field: id");
    EXPECT_FALSE(e.has_id);
    EXPECT_EQ(e.id_text, c.id_text) << c.frame;
    std::string id_part = c.id_text.empty() ? "" : "\"id\":" + std::string(c.id_text) + ",";
    EXPECT_EQ(encoded_error(e),
              "{" + id_part + R"("error":{"code":400,"message":"bad field: id"}})");
  }
}

TEST(ParseCommandErrors, ErrorsCarryTheFrameId) {
  struct Case {
    std::string_view frame;
    ProtoErrc reason;
    std::string_view wire;
  };
  const Case cases[] = {
      {R"({"id":3})", ProtoErrc::missing_op,
       R"({"id":3,"error":{"code":400,"message":"missing op"}})"},
      {R"({"id":3,"op":"fly"})", ProtoErrc::unknown_op,
       R"({"id":3,"error":{"code":400,"message":"unknown op"}})"},
      {R"({"id":3,"op":7})", ProtoErrc::bad_field,
       R"({"id":3,"error":{"code":400,"message":"bad field: op"}})"},
      {R"({"id":3,"op":"subscribe"})", ProtoErrc::missing_channel,
       R"({"id":3,"error":{"code":400,"message":"missing channel"}})"},
      {R"({"id":3,"op":"subscribe","channel":"a b"})", ProtoErrc::bad_channel,
       R"({"id":3,"error":{"code":400,"message":"bad channel name"}})"},
      {R"({"id":3,"op":"subscribe","channel":""})", ProtoErrc::bad_channel,
       R"({"id":3,"error":{"code":400,"message":"bad channel name"}})"},
      {R"({"id":3,"op":"subscribe","channel":["c"]})", ProtoErrc::bad_field,
       R"({"id":3,"error":{"code":400,"message":"bad field: channel"}})"},
      {R"({"id":3,"op":"subscribe","channel":"c","since":"E"})", ProtoErrc::bad_cursor,
       R"({"id":3,"error":{"code":400,"message":"bad cursor"}})"},
      {R"({"id":3,"op":"subscribe","channel":"c","since":42})", ProtoErrc::bad_field,
       R"({"id":3,"error":{"code":400,"message":"bad field: since"}})"},
      {R"({"id":3,"op":"publish","channel":"c"})", ProtoErrc::missing_data,
       R"({"id":3,"error":{"code":400,"message":"missing data"}})"},
      {R"({"id":3,"op":"publish","data":1})", ProtoErrc::missing_channel,
       R"({"id":3,"error":{"code":400,"message":"missing channel"}})"},
      {R"({"id":3,"op":"history","channel":"c","limit":-5})", ProtoErrc::bad_field,
       R"({"id":3,"error":{"code":400,"message":"bad field: limit"}})"},
      {R"({"id":3,"op":"connect","token":1})", ProtoErrc::bad_field,
       R"({"id":3,"error":{"code":400,"message":"bad field: token"}})"},
      {R"({"id":3,"op":"ping","op":"ping"})", ProtoErrc::duplicate_field,
       R"({"id":3,"error":{"code":400,"message":"duplicate field: op"}})"},
      {R"({"id":3,"op":"ping","id":4})", ProtoErrc::duplicate_field,
       R"({"error":{"code":400,"message":"duplicate field: id"}})"},
      {R"({"op":"presence"})", ProtoErrc::missing_channel,
       R"({"error":{"code":400,"message":"missing channel"}})"},
      {R"({"id":3,"op":"unsubscribe"})", ProtoErrc::missing_channel,
       R"({"id":3,"error":{"code":400,"message":"missing channel"}})"},
      {R"({"id":3,"op":"history","channel":"c","since":"E:-1"})", ProtoErrc::bad_cursor,
       R"({"id":3,"error":{"code":400,"message":"bad cursor"}})"},
  };
  for (const Case& c : cases) {
    ProtoError e = bad_command(c.frame);
    EXPECT_EQ(e.reason, c.reason) << c.frame;
    EXPECT_EQ(encoded_error(e), c.wire) << c.frame;
  }
}

TEST(ErrorTable, CodesAndMessages) {
  EXPECT_EQ(error_code(ProtoErrc::missing_data), 400);
  EXPECT_EQ(error_message(ProtoErrc::missing_data), "missing data");
  EXPECT_EQ(error_code(ProtoErrc::too_many_channels), 400);
  std::string out;
  encode_error(out, make_error(ProtoErrc::unknown_op, true, 2));
  EXPECT_EQ(out, R"({"id":2,"error":{"code":400,"message":"unknown op"}})");
}

TEST(PublishBody, ParsesAndRejects) {
  PublishBody b;
  ProtoError err;
  ASSERT_TRUE(parse_publish_body(R"({"channel":"chat:1","data":{"text": "hi"}})", &b, &err));
  EXPECT_EQ(b.channel, "chat:1");
  EXPECT_EQ(b.data, R"({"text":"hi"})");
  EXPECT_FALSE(parse_publish_body(R"({"channel":"c"})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::missing_data);
  EXPECT_FALSE(parse_publish_body(R"({"data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::missing_channel);
  EXPECT_FALSE(parse_publish_body(R"({"channel":"c/d","data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::bad_channel);
  EXPECT_FALSE(parse_publish_body("{\"channel\":\"c\",\"data\":", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::malformed_json);
  EXPECT_FALSE(err.has_id);
}

TEST(DisconnectBody, ParsesAndRejects) {
  DisconnectBody b;
  ProtoError err;
  ASSERT_TRUE(parse_disconnect_body(R"({"user":"alice"})", &b, &err));
  EXPECT_EQ(b.user, "alice");
  EXPECT_EQ(b.client, "");
  EXPECT_TRUE(b.reconnect);
  ASSERT_TRUE(parse_disconnect_body(R"({"client":"c-1","reconnect":false})", &b, &err));
  EXPECT_EQ(b.user, "");
  EXPECT_EQ(b.client, "c-1");
  EXPECT_FALSE(b.reconnect);
  for (const char* bad : {R"({})", R"({"user":"a","client":"b"})", R"({"user":""})",
                          R"({"user":1})", R"({"user":"a","reconnect":1})"}) {
    EXPECT_FALSE(parse_disconnect_body(bad, &b, &err)) << bad;
    EXPECT_EQ(err.reason, ProtoErrc::bad_field) << bad;
    EXPECT_EQ(err.code, 400);
  }
  EXPECT_FALSE(parse_disconnect_body(R"({"user":"a","user":"b"})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::duplicate_field);
  EXPECT_FALSE(parse_disconnect_body("[1]", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::not_object);
}

TEST(BroadcastBody, ParsesAndRejects) {
  BroadcastBody b;
  ProtoError err;
  ASSERT_TRUE(parse_broadcast_body(R"({"channels":["a","b:c"],"data":[1, 2]})", &b, &err));
  EXPECT_EQ(b.channels, (std::vector<std::string>{"a", "b:c"}));
  EXPECT_EQ(b.data, "[1,2]");
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":[],"data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::missing_channel);
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":"a","data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::bad_field);
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":["a",1],"data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::bad_field);
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":["a","b b"],"data":1})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::bad_channel);
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":["a"]})", &b, &err));
  EXPECT_EQ(err.reason, ProtoErrc::missing_data);
  EXPECT_FALSE(parse_broadcast_body(R"({"channels":["a","b","c"],"data":1})", &b, &err, 2));
  EXPECT_EQ(err.reason, ProtoErrc::too_many_channels);
  EXPECT_EQ(err.message, "too many channels");
}

TEST(MinifyJson, ValidatesAndStripsWhitespace) {
  std::string out = "x";
  EXPECT_TRUE(minify_json(" { \"a\" : [ 1 ,\n2 ] } ", &out));
  EXPECT_EQ(out, R"(x{"a":[1,2]})");
  EXPECT_FALSE(minify_json("{\"a\":}", &out));
  EXPECT_FALSE(minify_json("\xef\xbb\xbf{}", &out));
  EXPECT_EQ(out, R"(x{"a":[1,2]})");
}

TEST(Encode, JsonStringEscapes) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\n\x01\x1f\x7f/\0", 11));
  EXPECT_EQ(out, R"("a\"b\\c\u000a\u0001\u001f)"
                 "\x7f"
                 R"(/\u0000")");
  out.clear();
  append_json_string(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(Encode, JsonStringReplacesInvalidUtf8) {
  for (std::string_view bad :
       {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\x80"}) {
    std::string out;
    append_json_string(out, std::string("a") + std::string(bad) + "b");
    std::string check;
    EXPECT_TRUE(minify_json(out, &check)) << "not valid JSON for input byte " << int(bad[0]);
    EXPECT_TRUE(out.starts_with("\"a\xef\xbf\xbd")) << out;
  }
}

TEST(Encode, Replies) {
  std::string out;
  encode_subscribe_result(out, 2, {"E", 42}, true, true);
  EXPECT_EQ(out, R"({"id":2,"result":{"cursor":"E:42","recovered":true}})");
  out.clear();
  encode_subscribe_result(out, 2, {"E", 0}, false, false);
  EXPECT_EQ(out, R"({"id":2,"result":{"cursor":"E:0"}})");
  out.clear();
  encode_subscribe_result(out, 2, {"E", 9}, true, false);
  EXPECT_EQ(out, R"({"id":2,"result":{"cursor":"E:9","recovered":false}})");
  out.clear();
  encode_error(out, true, 2, 403, "permission denied");
  EXPECT_EQ(out, R"({"id":2,"error":{"code":403,"message":"permission denied"}})");
  out.clear();
  encode_pong(out, 7);
  EXPECT_EQ(out, R"({"id":7,"result":{}})");
  out.clear();
  encode_publish_result(out, 4, 18446744073709551615u, "Ab1");
  EXPECT_EQ(out, R"({"id":4,"result":{"offset":18446744073709551615,"epoch":"Ab1"}})");
  out.clear();
  encode_publish_result_object(out, 1, "E");
  EXPECT_EQ(out, R"({"offset":1,"epoch":"E"})");
  out.clear();
  // The longest epoch and offset fill the one-append buffer exactly; an epoch that is not the
  // server's own kind is escaped by the general path.
  encode_publish_result_object(out, 18446744073709551615u, "0123456789abcdef");
  EXPECT_EQ(out, R"({"offset":18446744073709551615,"epoch":"0123456789abcdef"})");
  out.clear();
  encode_publish_result_object(out, 0, "a\"b");
  EXPECT_EQ(out, R"({"offset":0,"epoch":"a\"b"})");
  out.clear();
  encode_reply_ok(out, 0, R"({"x":1})");
  EXPECT_EQ(out, R"({"id":0,"result":{"x":1}})");
}

TEST(Encode, Pushes) {
  std::string out;
  encode_push(out, "c", 42, R"({"a":1})");
  EXPECT_EQ(out, R"({"channel":"c","offset":42,"data":{"a":1}})");
  out.clear();
  encode_push(out, "a\"b", 0, "7");  // not a valid name: escaped, the same layout
  EXPECT_EQ(out, R"({"channel":"a\"b","offset":0,"data":7})");
  out.clear();
  encode_join_push(out, "c", R"({"client":"u1"})");
  EXPECT_EQ(out, R"({"channel":"c","join":{"client":"u1"}})");
  out.clear();
  encode_leave_push(out, "c", R"({"client":"u1"})");
  EXPECT_EQ(out, R"({"channel":"c","leave":{"client":"u1"}})");
}

TEST(Encode, HistoryPresenceAndPoll) {
  std::string out;
  std::vector<PublicationView> pubs = {{41, R"({"a":1})"}, {42, R"("x")"}};
  encode_history_result(out, 5, pubs, {"E", 42}, true, true);
  EXPECT_EQ(out, R"({"id":5,"result":{"publications":[{"offset":41,"data":{"a":1}},)"
                 R"({"offset":42,"data":"x"}],"cursor":"E:42","recovered":true}})");
  out.clear();
  encode_history_result(out, 5, {}, {"E", 0}, false, false);
  EXPECT_EQ(out, R"({"id":5,"result":{"publications":[],"cursor":"E:0"}})");
  out.clear();
  std::vector<PresenceView> clients = {{"c1", "", ""}, {"c\"2", "alice", R"({"n":1})"}};
  encode_presence_result(out, 6, 3, 1, clients);
  EXPECT_EQ(out, R"({"id":6,"result":{"connections":3,"users":1,"clients":[{"client":"c1"},)"
                 R"({"client":"c\"2","user":"alice","info":{"n":1}}]}})");
  out.clear();
  std::vector<std::string_view> pushes = {R"({"channel":"a","offset":1,"data":1})"};
  encode_poll_response(out, pushes, "E:1", {});
  EXPECT_EQ(out, R"({"messages":[{"channel":"a","offset":1,"data":1}],"cursor":"E:1"})");
  out.clear();
  std::vector<std::string> unrecovered = {"b"};
  encode_poll_response(out, {}, "m1.xx", unrecovered);
  EXPECT_EQ(out, R"({"messages":[],"cursor":"m1.xx","recovered":false,"unrecovered":["b"]})");
}

TEST(Encode, PushOfParsedDataIsValidJson) {
  Command c = ok_command(R"({"op":"publish","channel":"c","data":{"k":[1.5e3,"\u00e9",null]}})");
  std::string push;
  encode_push(push, c.channel, 1, c.data);
  std::string check;
  EXPECT_TRUE(minify_json(push, &check));
  EXPECT_EQ(push, R"({"channel":"c","offset":1,"data":{"k":[1.5e3,"\u00e9",null]}})");
}

TEST(ServerMessage, ParsesRepliesErrorsAndPushes) {
  ServerMessage m;
  ASSERT_TRUE(parse_server_message(R"({"id":2,"result":{"cursor":"E:42","recovered":true}})", &m));
  EXPECT_EQ(m.kind, ServerMessageKind::reply);
  EXPECT_EQ(m.id, 2u);
  EXPECT_EQ(m.payload, R"({"cursor":"E:42","recovered":true})");
  ASSERT_TRUE(parse_server_message(R"({"id":2,"error":{"code":403,"message":"no"}})", &m));
  EXPECT_EQ(m.kind, ServerMessageKind::error);
  EXPECT_EQ(m.error_code, 403);
  EXPECT_EQ(m.error_message, "no");
  ASSERT_TRUE(parse_server_message(R"({"channel":"c","offset":42,"data":{"a": 1}})", &m));
  EXPECT_EQ(m.kind, ServerMessageKind::publication);
  EXPECT_FALSE(m.has_id);
  EXPECT_EQ(m.channel, "c");
  EXPECT_EQ(m.offset, 42u);
  EXPECT_EQ(m.payload, R"({"a":1})");
  ASSERT_TRUE(parse_server_message(R"({"channel":"c","join":{"client":"u"}})", &m));
  EXPECT_EQ(m.kind, ServerMessageKind::join);
  ASSERT_TRUE(parse_server_message(R"({"something":"else"})", &m));
  EXPECT_EQ(m.kind, ServerMessageKind::unknown);
  EXPECT_FALSE(parse_server_message("[]", &m));
  EXPECT_FALSE(parse_server_message(R"({"error":{"code":"x","message":"m"}})", &m));
}

TEST(OpName, MatchesTheWire) {
  for (Op op : {Op::connect, Op::subscribe, Op::unsubscribe, Op::publish, Op::history, Op::presence,
                Op::ping}) {
    std::string frame = R"({"op":")" + std::string(op_name(op)) + R"(","channel":"c","data":1})";
    EXPECT_EQ(ok_command(frame).op, op);
  }
}

TEST(ParsePollResponse, MessagesKeepTheServersText) {
  PollResponse r;
  std::string error;
  ASSERT_TRUE(parse_poll_response(
      R"({"messages":[{"channel":"c","offset":1,"data":1.0},
          {"channel":"c","offset":2,"data":[18446744073709551616, 1e400]}],
          "cursor":"E:2","recovered":false,"unrecovered":["c"]})",
      &r, &error))
      << error;
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0], R"({"channel":"c","offset":1,"data":1.0})");
  EXPECT_EQ(r.messages[1], R"({"channel":"c","offset":2,"data":[18446744073709551616,1e400]})");
  EXPECT_EQ(r.cursor, "E:2");
  EXPECT_FALSE(r.recovered);
  ASSERT_EQ(r.unrecovered.size(), 1u);
  ASSERT_TRUE(parse_poll_response(R"({"messages":[],"cursor":"E:0"})", &r, &error));
  EXPECT_TRUE(r.messages.empty());
  EXPECT_TRUE(r.recovered);
  EXPECT_FALSE(parse_poll_response(R"({"cursor":"E:0"})", &r, &error));
  EXPECT_FALSE(parse_poll_response(R"({"messages":[1,]})", &r, &error));
}

}  // namespace herald::proto
