// Token verifications per CPU-second: HS256, RS256 (2048-bit) and ES256 through
// jwt::verify_token, next to the bare signature operation through the same OpenSSL, so the
// cost of herald's own work (parsing, key selection, claims) shows. Built only when asked:
//   cmake -S . -B build/bench-auth -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERALD_TESTS=OFF
//         -DHERALD_AUTH_BENCH=ON
//   ninja -C build/bench-auth verify_bench && build/bench-auth/bench/auth/verify_bench
// Google Benchmark's items_per_second is per CPU-second of the benchmark thread.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include "jwt/jwt.h"
#include "jwt/jwt_sign.h"
#include "jwt/keys.h"
#include "tests/unit/jwt/test_keys.h"

namespace {

using namespace herald::jwt;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;

// A typical connection token: a user, a few grants, presence info, an expiry.
Claims typical_claims() {
  Claims c;
  c.sub = "user-1234";
  c.channels = {"chat:*", "news", "user:#user-1234"};
  c.publish = {"chat:lobby"};
  c.info = R"({"name":"Alice","avatar":"https://example.com/a.png"})";
  c.iat = kNow;
  c.exp = kNow + 3600;
  return c;
}

std::shared_ptr<const KeySet> load(const KeyConfig& c) {
  std::string error;
  auto keys = KeySet::load(c, &error);
  if (!keys.ok()) std::abort();
  return keys.value();
}

void run(benchmark::State& state, JwtAlg alg, std::string_view signing_key, KeyConfig config) {
  std::string error;
  auto token = sign_token(typical_claims(), alg, signing_key, &error);
  if (!token.ok()) std::abort();
  auto keys = load(config);
  VerifyOptions o;
  o.now_sec = kNow;
  for (auto _ : state) {
    auto r = verify_token(token.value(), *keys, o);
    if (!std::holds_alternative<Claims>(r)) std::abort();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(token.value().size()) + " B token");
}

void BM_VerifyHS256(benchmark::State& state) {
  KeyConfig c;
  c.hmac_secret = kSecret;
  run(state, JwtAlg::hs256, kSecret, c);
}

void BM_VerifyRS256(benchmark::State& state) {
  KeyConfig c;
  c.public_key_pem = test_keys::kRsaAPublic;
  run(state, JwtAlg::rs256, test_keys::kRsaAPrivate, c);
}

void BM_VerifyES256(benchmark::State& state) {
  KeyConfig c;
  c.public_key_pem = test_keys::kEc256APublic;
  run(state, JwtAlg::es256, test_keys::kEc256APrivate, c);
}

// A refusal that needs no crypto: what garbage costs the server.
void BM_RefuseMalformed(benchmark::State& state) {
  KeyConfig c;
  c.public_key_pem = test_keys::kRsaAPublic;
  auto keys = load(c);
  VerifyOptions o;
  o.now_sec = kNow;
  std::string garbage = "eyJhbGciOiJSUzI1NiJ9.not*base64.x";
  for (auto _ : state) {
    auto r = verify_token(garbage, *keys, o);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_VerifyHS256);
BENCHMARK(BM_VerifyRS256);
BENCHMARK(BM_VerifyES256);
BENCHMARK(BM_RefuseMalformed);
BENCHMARK_MAIN();
