#pragma once
// Who a client is, as the access layer established it once per connection (WebSocket, SSE)
// or per request (poll, HTTP API): from a JWT connection token, a connect hook's answer, the
// HTTP API key, or nobody (anonymous). Immutable once made: sessions share it by pointer, and
// a token refresh replaces the pointer.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::access {

enum class Source : uint8_t {
  anonymous,  // no credentials
  token,      // a verified JWT
  hook,       // the backend's connect hook answered with an identity
  api_key,    // the HTTP API key (or an API without a key): may do everything
};

struct Identity {
  Source source = Source::anonymous;
  std::string user;        // "sub" / the hook's user; "" for an authenticated client without a user
  std::string info;        // minified JSON object shown in presence, or ""
  int64_t expires_at = 0;  // unix seconds; 0: never
  std::vector<std::string> channels;  // subscribe grants (jwt/grants.h)
  std::vector<std::string> publish;   // publish grants

  bool admin() const { return source == Source::api_key; }
  bool authenticated() const { return source != Source::anonymous; }
};

/// Shared, immutable; nullptr means anonymous.
using IdentityPtr = std::shared_ptr<const Identity>;

/// The identity of the HTTP API key (also of API requests when no key is configured).
const IdentityPtr& admin_identity();

/// A connection's client id, unique within the process: "c<loop>-<n>", n counting that
/// loop's connections from 1 (presence, join/leave, connect replies, hooks, logs). Kept as the
/// two numbers in 8 bytes (every WebSocket and SSE session holds one; a string was 32) and
/// spelled when asked, which is once per connection or on an operator's request.
class ClientId {
 public:
  /// No id: a client that lasts one request (HTTP API, poll).
  ClientId() = default;
  /// A new id. Call on the loop `loop_index` (0..65535): the counter is per loop thread.
  static ClientId next(int loop_index);
  bool empty() const { return bits_ == 0; }
  /// "c0-17"; "" when empty().
  std::string text() const;
  /// The id `text` spells (as text() would), or nullopt.
  static std::optional<ClientId> parse(std::string_view text);
  bool operator==(const ClientId&) const = default;

 private:
  explicit ClientId(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = 0;  // the loop index in the top 16 bits, n in the 48 below
};

}  // namespace herald::access
