#include "ws_codec/handshake.h"

#include <gtest/gtest.h>

#include <array>

namespace herald::ws {
namespace {

constexpr std::array<std::string_view, 1> kSupported = {kHeraldProtocol};

UpgradeRequest good_request() {
  UpgradeRequest r;
  r.method = "GET";
  r.version = "HTTP/1.1";
  r.upgrade = "websocket";
  r.connection = "Upgrade";
  r.key = "dGhlIHNhbXBsZSBub25jZQ==";
  r.ws_version = "13";
  r.origin = "http://example.com";
  return r;
}

TEST(Handshake, Rfc6455AcceptExample) {
  // RFC 6455 §1.3 (also `printf KEY+GUID | openssl sha1 -binary | base64`).
  EXPECT_EQ(compute_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptsAValidUpgrade) {
  HandshakeResult r = accept_upgrade(good_request(), kSupported);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.protocol, "");
  EXPECT_EQ(r.response,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
}

TEST(Handshake, TokensAreCaseInsensitiveListsWithWhitespace) {
  UpgradeRequest req = good_request();
  req.upgrade = " WebSocket ";
  req.connection = "keep-alive, UPGRADE";
  req.key = " dGhlIHNhbXBsZSBub25jZQ== ";
  req.ws_version = " 13";
  EXPECT_TRUE(accept_upgrade(req).ok());
  req.connection = "keep-alive, upgraded";  // a token, not a substring
  EXPECT_EQ(accept_upgrade(req).status, 400);
}

TEST(Handshake, SelectsTheFirstOfferedSupportedProtocol) {
  UpgradeRequest req = good_request();
  req.protocols = "chat, herald.v1, other";
  HandshakeResult r = accept_upgrade(req, kSupported);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.protocol, "herald.v1");
  EXPECT_NE(r.response.find("\r\nSec-WebSocket-Protocol: herald.v1\r\n"), std::string::npos);

  std::array<std::string_view, 2> two = {"b", "a"};
  req.protocols = "a,b";
  EXPECT_EQ(accept_upgrade(req, two).protocol, "a");  // the client's preference order

  req.protocols = "chat, Herald.V1";  // subprotocols are case-sensitive
  r = accept_upgrade(req, kSupported);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.protocol, "");
  EXPECT_EQ(r.response.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(Handshake, ExtraHeadersGoIntoThe101) {
  HandshakeResult r =
      accept_upgrade(good_request(), {}, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.response.ends_with("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"));
}

TEST(Handshake, RefusalsAndTheirStatus) {
  struct Case {
    const char* name;
    void (*edit)(UpgradeRequest&);
    int status;
    const char* header;  // a header the refusal must carry
  };
  const Case cases[] = {
      {"POST", [](UpgradeRequest& r) { r.method = "POST"; }, 405, "Allow: GET\r\n"},
      {"HTTP/1.0", [](UpgradeRequest& r) { r.version = "HTTP/1.0"; }, 400, nullptr},
      {"no Upgrade", [](UpgradeRequest& r) { r.upgrade = ""; }, 426, "Upgrade: websocket\r\n"},
      {"Upgrade: h2c", [](UpgradeRequest& r) { r.upgrade = "h2c"; }, 426, nullptr},
      {"no Connection", [](UpgradeRequest& r) { r.connection = "keep-alive"; }, 400, nullptr},
      {"version 8", [](UpgradeRequest& r) { r.ws_version = "8"; }, 426,
       "Sec-WebSocket-Version: 13\r\n"},
      {"no version", [](UpgradeRequest& r) { r.ws_version = ""; }, 426,
       "Sec-WebSocket-Version: 13\r\n"},
      {"no key", [](UpgradeRequest& r) { r.key = ""; }, 400, nullptr},
      {"short key", [](UpgradeRequest& r) { r.key = "dGhlIHNhbXBsZQ=="; }, 400, nullptr},
      {"key not base64", [](UpgradeRequest& r) { r.key = "dGhlIHNhbXBsZSBub25j*Q=="; }, 400,
       nullptr},
      {"key without padding", [](UpgradeRequest& r) { r.key = "dGhlIHNhbXBsZSBub25jZQAA"; }, 400,
       nullptr},
  };
  for (const Case& c : cases) {
    UpgradeRequest req = good_request();
    c.edit(req);
    HandshakeResult r = accept_upgrade(req, kSupported);
    EXPECT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status, c.status) << c.name;
    EXPECT_FALSE(r.error.empty()) << c.name;
    EXPECT_TRUE(r.response.starts_with("HTTP/1.1 " + std::to_string(c.status) + " ")) << c.name;
    EXPECT_NE(r.response.find("\r\nConnection: close\r\n"), std::string::npos) << c.name;
    if (c.header) {
      EXPECT_NE(r.response.find(c.header), std::string::npos) << c.name;
    }
  }
}

TEST(Handshake, ErrorResponseIsWellFormed) {
  std::string r = error_response(403, "origin not allowed");
  EXPECT_EQ(r,
            "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n"
            "Content-Length: 19\r\n\r\norigin not allowed\n");
}

TEST(Handshake, ClientRoundTrip) {
  const std::string key = generate_key();
  EXPECT_TRUE(is_valid_key(key)) << key;
  EXPECT_NE(generate_key(), key);

  const std::string request = build_upgrade_request("localhost:8080", "/ws", key, "herald.v1");
  EXPECT_TRUE(request.starts_with("GET /ws HTTP/1.1\r\nHost: localhost:8080\r\n"));
  EXPECT_NE(request.find("\r\nSec-WebSocket-Key: " + key + "\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nSec-WebSocket-Protocol: herald.v1\r\n"), std::string::npos);
  EXPECT_TRUE(request.ends_with("\r\n\r\n"));

  UpgradeRequest req = good_request();
  req.key = key;
  req.protocols = "herald.v1";
  HandshakeResult server = accept_upgrade(req, kSupported);
  ASSERT_TRUE(server.ok());
  const std::string accept = compute_accept(key);

  UpgradeResponse res{101, "websocket", "Upgrade", accept, "herald.v1"};
  EXPECT_EQ(verify_upgrade_response(res, key, "herald.v1"), "");
  UpgradeResponse wrong = res;
  wrong.accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // the accept of another key
  EXPECT_NE(verify_upgrade_response(wrong, key, "herald.v1"), "");
  wrong = res;
  wrong.status = 200;
  EXPECT_NE(verify_upgrade_response(wrong, key, "herald.v1"), "");
  wrong = res;
  wrong.protocol = "chat";
  EXPECT_NE(verify_upgrade_response(wrong, key, "herald.v1"), "");
  wrong = res;
  wrong.upgrade = "";
  EXPECT_NE(verify_upgrade_response(wrong, key, "herald.v1"), "");
  res.protocol = "";  // a server may decline every subprotocol
  EXPECT_EQ(verify_upgrade_response(res, key, "herald.v1"), "");
}

}  // namespace
}  // namespace herald::ws
