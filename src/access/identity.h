#pragma once
// Who a client is, as the access layer established it once per connection (WebSocket, SSE)
// or per request (poll, HTTP API): from a JWT connection token, a connect hook's answer, the
// HTTP API key, or nobody (anonymous). Immutable once made: sessions share it by pointer, and
// a token refresh replaces the pointer.
#include <cstdint>
#include <memory>
#include <string>
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

/// A new client id, unique within the process: "c<loop>-<n>" (presence, join/leave, connect
/// replies). Call on the loop `loop_index`: the counter is per loop thread.
std::string next_client_id(int loop_index);

}  // namespace herald::access
