#include "server/tls_setup.h"

#include <gtest/gtest.h>

#include "unit/tls/test_pki.h"

namespace herald::server {
namespace {

class TlsSetupTest : public ::testing::Test {
 protected:
  void SetUp() override { pki_ = testing::TestPki::make(); }
  void TearDown() override { pki_.remove(); }
  base::Settings settings() const {
    base::Settings s;
    s.tls_listen = "127.0.0.1:0";
    s.tls_cert_file = pki_.cert_file;
    s.tls_key_file = pki_.key_file;
    return s;
  }
  testing::TestPki pki_;
};

TEST_F(TlsSetupTest, NoTlsListenerNoContext) {
  base::Settings s;
  s.tls_cert_file = "/nonexistent";  // not looked at while TLS is off
  std::string why;
  auto r = load_tls(s, why);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), nullptr);
}

TEST_F(TlsSetupTest, LoadsTheConfiguredPair) {
  std::string why;
  auto r = load_tls(settings(), why);
  ASSERT_TRUE(r.ok()) << why;
  ASSERT_NE(r.value(), nullptr);
  EXPECT_TRUE(r.value()->is_server());
}

TEST_F(TlsSetupTest, ExplainsWhatIsWrong) {
  std::string why;
  base::Settings s = settings();
  s.tls_key_file = pki_.other_key;
  EXPECT_FALSE(load_tls(s, why).ok());
  EXPECT_EQ(why, "tls.key_file " + pki_.other_key +
                     ": does not match the certificate in tls.cert_file " + pki_.cert_file);
  s = settings();
  s.tls_cert_file.clear();
  EXPECT_FALSE(load_tls(s, why).ok());
  EXPECT_EQ(why, "tls.cert_file: not set");
  s = settings();
  s.tls_min_version = "1.0";
  EXPECT_FALSE(load_tls(s, why).ok());
  EXPECT_EQ(why, "tls.min_version: expected \"1.2\" or \"1.3\", got \"1.0\"");
}

TEST(TlsSetup, ThePlainReplyIsACompleteHttpResponse) {
  std::string_view r = plaintext_on_tls_port();
  ASSERT_EQ(r.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  size_t head_end = r.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string_view::npos);
  std::string body(r.substr(head_end + 4));
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(body.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace herald::server
