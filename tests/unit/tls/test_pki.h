#pragma once
// A throw-away PKI for TLS tests, generated in the test: a CA, a server certificate it signed
// (subjectAltName IP:127.0.0.1 and DNS:localhost), a second CA nobody trusts, and a key that
// belongs to neither. Written as PEM files into a fresh temporary folder.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace herald::testing {

struct TestPki {
  std::string dir;
  std::string ca_file;     // the trusted CA's certificate
  std::string cert_file;   // the server certificate (signed by the CA)
  std::string key_file;    // its key
  std::string other_key;   // a key that matches no certificate here
  std::string rogue_ca;    // a CA that did not sign anything the server uses
  std::string rogue_cert;  // a server certificate signed by the rogue CA
  std::string rogue_key;   // its key

  static TestPki make() {
    TestPki p;
    char tmpl[] = "/tmp/herald-pki-XXXXXX";
    p.dir = ::mkdtemp(tmpl);
    EVP_PKEY* ca_key = EVP_EC_gen("P-256");
    X509* ca = make_cert(ca_key, "herald test CA", nullptr, ca_key, true, 1);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = make_cert(key, "localhost", ca, ca_key, false, 2);
    EVP_PKEY* other = EVP_EC_gen("P-256");
    EVP_PKEY* rogue_ca_key = EVP_EC_gen("P-256");
    X509* rogue_ca = make_cert(rogue_ca_key, "rogue CA", nullptr, rogue_ca_key, true, 3);
    EVP_PKEY* rogue_key = EVP_EC_gen("P-256");
    X509* rogue_cert = make_cert(rogue_key, "localhost", rogue_ca, rogue_ca_key, false, 4);
    p.ca_file = write_cert(p.dir + "/ca.pem", ca);
    p.cert_file = write_cert(p.dir + "/cert.pem", cert);
    p.key_file = write_key(p.dir + "/key.pem", key);
    p.other_key = write_key(p.dir + "/other.key", other);
    p.rogue_ca = write_cert(p.dir + "/rogue-ca.pem", rogue_ca);
    p.rogue_cert = write_cert(p.dir + "/rogue-cert.pem", rogue_cert);
    p.rogue_key = write_key(p.dir + "/rogue.key", rogue_key);
    for (X509* x : {ca, cert, rogue_ca, rogue_cert}) X509_free(x);
    for (EVP_PKEY* k : {ca_key, key, other, rogue_ca_key, rogue_key}) EVP_PKEY_free(k);
    return p;
  }

  /// Writes `text` to a new file in the folder and returns its path.
  std::string file(const std::string& name, const std::string& text) const {
    std::string path = dir + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
  }

  void remove() const {
    std::string cmd = "rm -rf '" + dir + "'";
    int rc = std::system(cmd.c_str());
    (void)rc;
  }

 private:
  static X509* make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                         bool is_ca, long serial) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
    auto add = [&](int nid, const char* value) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    };
    if (is_ca) {
      add(NID_basic_constraints, "critical,CA:TRUE");
      add(NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      add(NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
      add(NID_ext_key_usage, "serverAuth");
    }
    X509_sign(x, issuer_key, EVP_sha256());
    return x;
  }
  static std::string write_cert(const std::string& path, X509* x) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    return path;
  }
  static std::string write_key(const std::string& path, EVP_PKEY* k) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    return path;
  }
};

}  // namespace herald::testing
