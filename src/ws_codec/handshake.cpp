#include "ws_codec/handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

namespace herald::ws {

namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(kWhitespace);
  return s.substr(b, e - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Calls f(token) for each trimmed, non-empty element of a comma-separated list; stops when f
// returns true and reports whether it did.
template <typename F>
bool for_each_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (!item.empty() && f(item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

const char* reason_phrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 405:
      return "Method Not Allowed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

HandshakeResult refuse(int status, std::string_view why, std::string_view extra_headers = {}) {
  HandshakeResult r;
  r.status = status;
  r.error = why;
  r.response = error_response(status, why, extra_headers);
  return r;
}

}  // namespace

std::string compute_accept(std::string_view key) {
  std::string input;
  input.reserve(key.size() + kHandshakeGuid.size());
  input.append(key);
  input.append(kHandshakeGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

bool is_valid_key(std::string_view key) {
  // 16 bytes encode to 22 significant characters and "==" (RFC 6455 §4.1 item 7).
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) return false;
  }
  return true;
}

bool header_has_token(std::string_view list, std::string_view token) {
  return for_each_token(list, [&](std::string_view t) { return iequals(t, token); });
}

std::string error_response(int status, std::string_view body, std::string_view extra_headers) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  r += "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ";
  r += std::to_string(body.size() + 1);
  r += "\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  r += "\n";
  return r;
}

HandshakeResult accept_upgrade(const UpgradeRequest& req,
                               std::span<const std::string_view> supported,
                               std::string_view extra_headers) {
  if (trim(req.method) != "GET")
    return refuse(405, "WebSocket upgrade needs GET", "Allow: GET\r\n");
  if (trim(req.version) != "HTTP/1.1") return refuse(400, "WebSocket upgrade needs HTTP/1.1");
  // A plain GET on a WebSocket URL: 426 tells the client which protocol to upgrade to.
  if (!header_has_token(req.upgrade, "websocket")) {
    return refuse(426, "WebSocket upgrade required",
                  "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
  }
  if (!header_has_token(req.connection, "upgrade")) {
    return refuse(400, "Connection header lacks the upgrade token");
  }
  if (trim(req.ws_version) != "13") {
    return refuse(426, "unsupported Sec-WebSocket-Version", "Sec-WebSocket-Version: 13\r\n");
  }
  const std::string_view key = trim(req.key);
  if (!is_valid_key(key)) return refuse(400, "invalid Sec-WebSocket-Key");

  HandshakeResult r;
  r.status = 101;
  for_each_token(req.protocols, [&](std::string_view offered) {
    for (std::string_view s : supported) {
      if (offered == s) {  // subprotocol tokens are case-sensitive (RFC 6455 §4.1)
        r.protocol.assign(s);
        return true;
      }
    }
    return false;
  });
  r.response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r.response += compute_accept(key);
  r.response += "\r\n";
  if (!r.protocol.empty()) {
    r.response += "Sec-WebSocket-Protocol: ";
    r.response += r.protocol;
    r.response += "\r\n";
  }
  r.response += extra_headers;
  r.response += "\r\n";
  return r;
}

std::string generate_key() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) std::abort();  // no entropy: nothing sane to do
  return base64(raw, sizeof raw);
}

std::string build_upgrade_request(std::string_view host, std::string_view path,
                                  std::string_view key, std::string_view protocols,
                                  std::string_view extra_headers) {
  std::string r;
  r.reserve(256);
  r += "GET ";
  r += path.empty() ? std::string_view("/") : path;
  r += " HTTP/1.1\r\nHost: ";
  r += host;
  r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  r += key;
  r += "\r\nSec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) {
    r += "Sec-WebSocket-Protocol: ";
    r += protocols;
    r += "\r\n";
  }
  r += extra_headers;
  r += "\r\n";
  return r;
}

std::string_view verify_upgrade_response(const UpgradeResponse& res, std::string_view key,
                                         std::string_view offered_protocols) {
  if (res.status != 101) return "server did not switch protocols";
  if (!header_has_token(res.upgrade, "websocket")) return "missing Upgrade: websocket";
  if (!header_has_token(res.connection, "upgrade")) return "missing Connection: upgrade";
  if (trim(res.accept) != compute_accept(key)) return "wrong Sec-WebSocket-Accept";
  const std::string_view chosen = trim(res.protocol);
  if (!chosen.empty() &&
      !for_each_token(offered_protocols, [&](std::string_view p) { return p == chosen; })) {
    return "server chose a subprotocol that was not offered";
  }
  return {};
}

}  // namespace herald::ws
