#pragma once
// RFC 6455 §4 opening handshake, both ends, as pure functions over header values. The HTTP
// module parses the request; this file decides the answer and writes its bytes.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace herald::ws {

/// The GUID every accept value is derived from (RFC 6455 §1.3).
inline constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The subprotocol herald speaks on /ws (docs/protocol.md).
inline constexpr std::string_view kHeraldProtocol = "herald.v1";

/// base64(SHA-1(key + GUID)): the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
std::string compute_accept(std::string_view key);

/// True when `key` is the base64 form of 16 bytes (24 characters ending in "==").
bool is_valid_key(std::string_view key);

/// The request fields the handshake depends on, as the HTTP parser saw them. A header that
/// appeared on several lines must be passed joined with ", " (RFC 9110 §5.3); an absent one is
/// empty. Values may carry surrounding whitespace.
struct UpgradeRequest {
  std::string_view method;   // "GET"
  std::string_view version;  // "HTTP/1.1"
  std::string_view upgrade;
  std::string_view connection;
  std::string_view key;         // Sec-WebSocket-Key
  std::string_view ws_version;  // Sec-WebSocket-Version
  std::string_view protocols;   // Sec-WebSocket-Protocol (client's list, in its preference)
  std::string_view origin;      // not judged here: the caller applies its allow-list
};

struct HandshakeResult {
  /// 101 on success; otherwise 400 (malformed), 405 (not GET) or 426 (wrong or missing
  /// Upgrade, or a Sec-WebSocket-Version other than 13).
  int status = 400;
  /// The complete response bytes to write: "HTTP/1.1 101 Switching Protocols ..." or an error
  /// response with Connection: close and a short text body.
  std::string response;
  /// The subprotocol chosen (empty when the client offered none we support: RFC 6455 §4.2.2
  /// then answers without the header and lets the client decide).
  std::string protocol;
  /// Why the request was refused (empty on success).
  std::string_view error;
  bool ok() const { return status == 101; }
};

/// Validates an upgrade request and builds the answer. The first client-offered protocol that
/// appears in `supported` is selected. `extra_headers` (complete "Name: value\r\n" lines, e.g.
/// a negotiated Sec-WebSocket-Extensions) is appended to a 101 response.
HandshakeResult accept_upgrade(const UpgradeRequest& req,
                               std::span<const std::string_view> supported = {},
                               std::string_view extra_headers = {});

/// An HTTP error response with Connection: close and `body` as text/plain (used for refused
/// upgrades, and by the caller for policy refusals such as a 403 for a foreign Origin).
/// `extra_headers` are complete header lines.
std::string error_response(int status, std::string_view body, std::string_view extra_headers = {});

/// True when `list` (a comma-separated header value) holds `token`, compared case-insensitively.
bool header_has_token(std::string_view list, std::string_view token);

// ---- client side ----------------------------------------------------------------------------

/// A fresh Sec-WebSocket-Key: base64 of 16 random bytes (OpenSSL RAND_bytes).
std::string generate_key();

/// The bytes of a client upgrade request for `path` on `host` (host[:port]).
/// `protocols` is the comma-separated offer (may be empty); `extra_headers` are complete lines.
std::string build_upgrade_request(std::string_view host, std::string_view path,
                                  std::string_view key, std::string_view protocols = {},
                                  std::string_view extra_headers = {});

/// The response fields a client checks, as its HTTP parser saw them.
struct UpgradeResponse {
  int status = 0;
  std::string_view upgrade;
  std::string_view connection;
  std::string_view accept;    // Sec-WebSocket-Accept
  std::string_view protocol;  // Sec-WebSocket-Protocol
};

/// Client-side check of the server's answer (RFC 6455 §4.1): 101, Upgrade: websocket,
/// Connection: upgrade, the accept value derived from `key`, and a protocol that was offered
/// (or none). Returns an empty string when the handshake succeeded, else what was wrong.
std::string_view verify_upgrade_response(const UpgradeResponse& res, std::string_view key,
                                         std::string_view offered_protocols = {});

}  // namespace herald::ws
