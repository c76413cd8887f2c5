#include "udp/cookie.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

namespace herald::udp {

namespace {

EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // never freed: used until exit
  return mac;
}

// A fresh HMAC-SHA256 context keyed with `key`; nullptr if OpenSSL refuses.
EVP_MAC_CTX* new_hmac(const uint8_t* key, size_t len) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, key, len, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

CookieSecret CookieSecret::random() {
  CookieSecret s;
  if (RAND_bytes(s.bytes.data(), int(s.bytes.size())) != 1) abort();
  return s;
}

struct CookieJar::WindowKey {
  uint32_t window = 0;
  EVP_MAC_CTX* ctx = nullptr;
  ~WindowKey() { EVP_MAC_CTX_free(ctx); }
};

CookieJar::CookieJar(const CookieSecret& secret) : secret_(secret) {}

CookieJar::~CookieJar() = default;

CookieJar::WindowKey& CookieJar::key(uint32_t window) {
  for (auto& k : keys_) {
    if (k && k->window == window) return *k;
  }
  // Replace the older of the two.
  size_t slot = !keys_[0] ? 0 : !keys_[1] ? 1 : keys_[0]->window < keys_[1]->window ? 0 : 1;
  auto k = std::make_unique<WindowKey>();
  k->window = window;
  static constexpr char kLabel[] = "herald udp cookie";
  uint8_t input[sizeof kLabel - 1 + 4];
  std::memcpy(input, kLabel, sizeof kLabel - 1);
  for (int i = 0; i < 4; ++i) input[sizeof kLabel - 1 + i] = uint8_t(window >> (8 * (3 - i)));
  uint8_t derived[32];
  size_t n = 0;
  EVP_MAC_CTX* master = new_hmac(secret_.bytes.data(), secret_.bytes.size());
  if (!master || EVP_MAC_update(master, input, sizeof input) != 1 ||
      EVP_MAC_final(master, derived, &n, sizeof derived) != 1 || n != sizeof derived)
    abort();
  EVP_MAC_CTX_free(master);
  k->ctx = new_hmac(derived, sizeof derived);
  OPENSSL_cleanse(derived, sizeof derived);
  if (!k->ctx) abort();
  keys_[slot] = std::move(k);
  return *keys_[slot];
}

void CookieJar::tag(WindowKey& k, const net::Address& from, uint64_t session, uint8_t out[16]) {
  // family, 16 address bytes (an IPv4 address in the first 4), port, session.
  uint8_t input[1 + 16 + 2 + 8] = {};
  input[0] = uint8_t(from.family());
  if (from.family() == AF_INET6) {
    std::memcpy(input + 1, &from.storage.in6.sin6_addr, 16);
  } else {
    std::memcpy(input + 1, &from.storage.in4.sin_addr, 4);
  }
  int port = from.port();
  input[17] = uint8_t(port >> 8);
  input[18] = uint8_t(port);
  for (int i = 0; i < 8; ++i) input[19 + i] = uint8_t(session >> (8 * (7 - i)));
  // Re-initialising with a null key keeps the window key and restarts the MAC: no allocation
  // per cookie.
  uint8_t mac[32];
  size_t n = 0;
  if (EVP_MAC_init(k.ctx, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(k.ctx, input, sizeof input) != 1 ||
      EVP_MAC_final(k.ctx, mac, &n, sizeof mac) != 1 || n != sizeof mac)
    abort();
  std::memcpy(out, mac, 16);
}

udp_codec::Cookie CookieJar::make(const net::Address& from, uint64_t session, uint64_t unix_sec) {
  uint32_t window = uint32_t(unix_sec / kCookieWindowSec);
  udp_codec::Cookie c{};
  for (int i = 0; i < 4; ++i) c[i] = uint8_t(window >> (8 * (3 - i)));
  tag(key(window), from, session, c.data() + 4);
  return c;
}

bool CookieJar::check(const udp_codec::Cookie& c, const net::Address& from, uint64_t session,
                      uint64_t unix_sec) {
  uint32_t window = 0;
  for (int i = 0; i < 4; ++i) window = (window << 8) | c[i];
  uint32_t now = uint32_t(unix_sec / kCookieWindowSec);
  // Only the current and the previous window: anything else is refused before any MAC is
  // computed, so old or future windows cannot make the jar derive keys.
  if (window != now && window + 1 != now) return false;
  uint8_t expect[16];
  tag(key(window), from, session, expect);
  return CRYPTO_memcmp(expect, c.data() + 4, 16) == 0;
}

}  // namespace herald::udp
