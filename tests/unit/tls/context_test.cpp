#include "tls/context.h"

#include <gtest/gtest.h>

#include "unit/tls/test_pki.h"

namespace herald::tls {
namespace {

class ContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new testing::TestPki(testing::TestPki::make()); }
  static void TearDownTestSuite() {
    pki_->remove();
    delete pki_;
  }
  static ServerConfig config() {
    ServerConfig c;
    c.cert_file = pki_->cert_file;
    c.key_file = pki_->key_file;
    return c;
  }
  static std::string load_error(const ServerConfig& c) {
    std::string why;
    auto r = Context::server(c, why);
    EXPECT_FALSE(r.ok());
    return why;
  }
  static testing::TestPki* pki_;
};
testing::TestPki* ContextTest::pki_ = nullptr;

TEST_F(ContextTest, LoadsAMatchingCertificateAndKey) {
  std::string why;
  auto r = Context::server(config(), why);
  ASSERT_TRUE(r.ok()) << why;
  EXPECT_TRUE(r.value()->is_server());
}

TEST_F(ContextTest, AMissingFileIsNamedWithTheSystemsReason) {
  ServerConfig c = config();
  c.cert_file = pki_->dir + "/nope.pem";
  EXPECT_EQ(load_error(c), "tls.cert_file " + c.cert_file + ": No such file or directory");
  c = config();
  c.key_file = pki_->dir + "/nope.key";
  EXPECT_EQ(load_error(c), "tls.key_file " + c.key_file + ": No such file or directory");
  c.cert_file.clear();
  EXPECT_EQ(load_error(c), "tls.cert_file: not set");
}

TEST_F(ContextTest, AKeyOfAnotherCertificateIsAMismatch) {
  ServerConfig c = config();
  c.key_file = pki_->other_key;
  EXPECT_EQ(load_error(c), "tls.key_file " + c.key_file +
                               ": does not match the certificate in tls.cert_file " + c.cert_file);
}

TEST_F(ContextTest, FilesThatAreNotPemSaySo) {
  ServerConfig c = config();
  c.cert_file = pki_->file("junk.pem", "hello\n");
  EXPECT_EQ(load_error(c).rfind("tls.cert_file " + c.cert_file + ": not a PEM certificate", 0), 0u);
  c = config();
  c.key_file = pki_->file("junk.key", "hello\n");
  EXPECT_EQ(load_error(c).rfind("tls.key_file " + c.key_file + ": not a PEM private key", 0), 0u);
  // The certificate where the key belongs: still not a key.
  c.key_file = pki_->cert_file;
  EXPECT_EQ(load_error(c).rfind("tls.key_file " + c.key_file + ": not a PEM private key", 0), 0u);
}

TEST_F(ContextTest, CiphersAreCheckedPerProtocolVersion) {
  ServerConfig c = config();
  c.ciphers = "TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384";
  std::string why;
  EXPECT_TRUE(Context::server(c, why).ok()) << why;
  c.ciphers = "NOT-A-CIPHER";
  EXPECT_EQ(load_error(c), "tls.ciphers: no cipher in \"NOT-A-CIPHER\" is known to OpenSSL");
  c.ciphers = "TLS_NOPE";
  EXPECT_EQ(load_error(c), "tls.ciphers: no TLS 1.3 suite in \"TLS_NOPE\" is known to OpenSSL");
}

TEST_F(ContextTest, ClientNeedsAReadableCaFile) {
  std::string why;
  ClientConfig c;
  c.ca_file = pki_->ca_file;
  EXPECT_TRUE(Context::client(c, why).ok()) << why;
  c.ca_file = pki_->dir + "/none.pem";
  EXPECT_FALSE(Context::client(c, why).ok());
  EXPECT_EQ(why, "CA file " + c.ca_file + ": No such file or directory");
  c.ca_file = pki_->file("empty.pem", "nothing\n");
  EXPECT_FALSE(Context::client(c, why).ok());
  EXPECT_EQ(why.rfind("CA file " + c.ca_file + ": no PEM certificate in it", 0), 0u) << why;
}

TEST(TlsVersion, Parses) {
  Version v;
  ASSERT_TRUE(parse_version("1.2", &v));
  EXPECT_EQ(v, Version::tls1_2);
  ASSERT_TRUE(parse_version("TLSv1.3", &v));
  EXPECT_EQ(v, Version::tls1_3);
  EXPECT_FALSE(parse_version("1.1", &v));
  EXPECT_FALSE(parse_version("", &v));
}

}  // namespace
}  // namespace herald::tls
