#include "ws_codec/extension.h"

#include <gtest/gtest.h>

namespace herald::ws {
namespace {

// The value of the response header, or "" when none, or "400" when the header is malformed.
std::string answer(std::string_view offers) {
  NegotiationResult r = negotiate_permessage_deflate(offers);
  if (r.outcome == NegotiationResult::malformed) return "400";
  if (r.outcome == NegotiationResult::none) {
    EXPECT_TRUE(r.response_header.empty());
    return "";
  }
  const std::string_view prefix = "Sec-WebSocket-Extensions: ";
  EXPECT_EQ(r.response_header.substr(0, prefix.size()), prefix);
  EXPECT_EQ(r.response_header.substr(r.response_header.size() - 2), "\r\n");
  return r.response_header.substr(prefix.size(), r.response_header.size() - prefix.size() - 2);
}

TEST(Extension, NoHeaderNoExtension) {
  EXPECT_EQ(answer(""), "");
  EXPECT_EQ(answer("  "), "");
  EXPECT_EQ(answer("x-webkit-deflate-frame"), "");
}

TEST(Extension, BareOfferGetsNoContextTakeoverBothWays) {
  // RFC 7692 §7.1.1.1/2: a server may add both no_context_takeover parameters to any offer.
  EXPECT_EQ(answer("permessage-deflate"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  NegotiationResult r = negotiate_permessage_deflate("permessage-deflate");
  EXPECT_TRUE(r.params.enabled);
  EXPECT_TRUE(r.params.server_no_context_takeover);
  // Always asked for too (§7.1.1.2): no per-connection inflater for small client messages.
  EXPECT_TRUE(r.params.client_no_context_takeover);
  EXPECT_EQ(r.params.server_max_window_bits, 15);
  EXPECT_EQ(r.params.client_max_window_bits, 15);
}

TEST(Extension, BrowserOffer) {
  // What Chrome, Firefox, Python websockets and Node ws send.
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(Extension, EveryParameter) {
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; client_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=10"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10");
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=9"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "client_max_window_bits=9");
  NegotiationResult r = negotiate_permessage_deflate(
      "permessage-deflate;client_no_context_takeover ; server_max_window_bits=8;"
      "client_max_window_bits=12");
  ASSERT_EQ(r.outcome, NegotiationResult::accepted);
  EXPECT_TRUE(r.params.client_no_context_takeover);
  EXPECT_EQ(r.params.server_max_window_bits, 8);
  EXPECT_EQ(r.params.client_max_window_bits, 12);
  EXPECT_EQ(r.response_header,
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
            "client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=12\r\n");
}

TEST(Extension, QuotedValues) {
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=\"11\""),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=11");
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=\"1\\5\""),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "client_max_window_bits=15");
}

TEST(Extension, BadValuesDeclineTheOffer) {
  // RFC 7692 §7: an invalid value, an unknown parameter or a parameter twice declines.
  for (
      std::string_view bad : {
          "permessage-deflate; server_max_window_bits",  // value required
          "permessage-deflate; server_max_window_bits=7",
          "permessage-deflate; server_max_window_bits=16",
          "permessage-deflate; server_max_window_bits=08",  // no leading zeros
          "permessage-deflate; client_max_window_bits=0",
          "permessage-deflate; client_max_window_bits=abc",
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover=1",  // no
                                                                                           // value
                                                                                           // allowed
          "permessage-deflate; client_no_context_takeover=true",
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
          "server_no_context_takeover",
          "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
          "permessage-deflate; mux",
          "permessage-deflate; Server_No_Context_Takeover",
      }) {
    EXPECT_EQ(answer(bad), "") << bad;
  }
}

TEST(Extension, FirstAcceptableOfferWins) {
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=20, permessage-deflate; "
                   "client_max_window_bits=10, permessage-deflate"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "client_max_window_bits=10");
  EXPECT_EQ(answer("x-foo; a=1, permessage-deflate; client_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  // Several header lines arrive joined with ", "; empty list elements are allowed.
  EXPECT_EQ(answer(", permessage-deflate; server_max_window_bits=x,, permessage-deflate ,"),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_EQ(answer("permessage-deflate; foo, permessage-deflate; bar"), "");
}

TEST(Extension, GrammarErrorsAreMalformed) {
  // RFC 6455 §4.2.1 / §9.1: a header outside the grammar is a bad handshake (400).
  for (std::string_view bad : {
           "permessage-deflate;",
           "permessage-deflate; ;",
           "permessage-deflate; =10",
           "permessage-deflate; server_max_window_bits=",
           "permessage-deflate; server_max_window_bits=\"10",     // unterminated
           "permessage-deflate; server_max_window_bits=\"1 0\"",  // not a token once unquoted
           "permessage-deflate client_max_window_bits",
           "perm@ssage-deflate",
           "; permessage-deflate",
           // a later offer's grammar error counts even after an acceptable one
           "permessage-deflate, x-foo;",
       }) {
    NegotiationResult r = negotiate_permessage_deflate(bad);
    EXPECT_EQ(r.outcome, NegotiationResult::malformed) << bad;
    EXPECT_FALSE(r.error.empty());
  }
}

}  // namespace
}  // namespace herald::ws
