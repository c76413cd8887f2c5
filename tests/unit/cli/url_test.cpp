#include "tools/cli/url.h"

#include <gtest/gtest.h>

namespace herald::cli {
namespace {

TEST(Url, ParsesUrlsAndHostPort) {
  auto u = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->authority(), "127.0.0.1:8080");

  u = parse_url("ws://localhost:9000/ws?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "ws");
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->path, "/ws?x=1");

  u = parse_url("127.0.0.1:81");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 81);

  u = parse_url("http://[::1]:8080/p");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->authority(), "[::1]:8080");
  ASSERT_TRUE(u->address().ok());
  EXPECT_EQ(u->address()->port(), 8080);

  u = parse_url("http://10.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_FALSE(u->tls());
}

TEST(Url, HttpsAndWssSpeakTlsOnPort443ByDefault) {
  auto u = parse_url("https://127.0.0.1");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->port, 443);
  u = parse_url("wss://localhost:8443/ws");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->host, "localhost");
  std::string why;
  auto plain = client_tls(parse_url("http://127.0.0.1:1").value(), "", why);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value(), nullptr);
  EXPECT_FALSE(client_tls(u.value(), "/nonexistent/ca.pem", why).ok());
  EXPECT_EQ(why, "CA file /nonexistent/ca.pem: No such file or directory");
}

TEST(Url, RefusesWhatItCannotReach) {
  EXPECT_FALSE(parse_url("ftp://127.0.0.1:443").ok());
  EXPECT_FALSE(parse_url("http://:8080").ok());
  EXPECT_FALSE(parse_url("http://127.0.0.1:").ok());
  EXPECT_FALSE(parse_url("http://127.0.0.1:0").ok());
  EXPECT_FALSE(parse_url("http://127.0.0.1:65536").ok());
  EXPECT_FALSE(parse_url("http://127.0.0.1:80a").ok());
  EXPECT_FALSE(parse_url("http://[::1").ok());
  EXPECT_FALSE(parse_url("").ok());
}

TEST(Url, QueryEscape) {
  EXPECT_EQ(query_escape("public:chat#1=a@b"), "public%3Achat%231%3Da%40b");
  EXPECT_EQ(query_escape("m1.AbC-_~"), "m1.AbC-_~");
  EXPECT_EQ(query_escape(std::string_view("\xff ", 2)), "%FF%20");
}

}  // namespace
}  // namespace herald::cli
