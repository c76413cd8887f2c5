// fuzz-links: tls
// (It calls OpenSSL itself only through tests/unit/tls/test_pki.h; herald_tls brings libssl.)
// Feeds arbitrary bytes to the server end of a tls::Session in chunks chosen by the input (what
// a client on the TLS port can send before and during a handshake), and checks what
// net::Connection relies on: no crash, no plaintext before the handshake finished, an error
// always has a reason, and the thread's OpenSSL error queue is left empty (it is shared by
// every connection of a loop). The certificate is made once, in a temporary folder.
#include <openssl/err.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "tls/session.h"
#include "unit/tls/test_pki.h"

namespace {

std::shared_ptr<const herald::tls::Context> server_context() {
  static std::shared_ptr<const herald::tls::Context> ctx = [] {
    herald::testing::TestPki pki = herald::testing::TestPki::make();
    herald::tls::ServerConfig c;
    c.cert_file = pki.cert_file;
    c.key_file = pki.key_file;
    std::string why;
    auto r = herald::tls::Context::server(c, why);
    pki.remove();
    if (!r.ok()) std::abort();
    return r.value();
  }();
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto session = herald::tls::Session::accept(*server_context());
  herald::base::ByteBuffer plain, wire;
  // The first byte picks the chunk size (1..256), so records split across reads are covered.
  size_t chunk = size_t(data[0]) + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!in.empty()) {
    std::string_view piece = in.substr(0, chunk);
    in.remove_prefix(piece.size());
    herald::tls::Status st = session->receive(piece, plain, wire);
    if (ERR_peek_error() != 0) std::abort();
    if (!session->established() && !plain.empty()) std::abort();
    if (st == herald::tls::Status::error) {
      if (!session->error()) std::abort();
      break;
    }
    if (st == herald::tls::Status::closed) break;
  }
  return 0;
}
