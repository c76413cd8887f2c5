#pragma once
// What a backend hook answered, read into plain structs. Pure: the HTTP status and the body in,
// a verdict out; no I/O (the request travels through access::HookTransport, access/hooks.h).
//
//   connect    200 {"user":"alice","channels":["chat:*"],"publish":["chat:*"],"info":{..},
//                   "expire_at":UNIX}                                -> allow, that identity
//              200 {"deny":true}, or status 401 / 403                -> deny
//   subscribe  200 {"allow":true} / {"allow":false}, 401 / 403       -> allow / deny
//   publish    200 {"allow":true} / {"allow":true,"data":X} / {"allow":false}, 401 / 403
//
// Everything else (another status, a body that is not one JSON object, a known member of the
// wrong type, a repeated known member, a grant that is not a valid pattern, info over
// limits::kMaxInfoBytes, a body over limits::kMaxHookResponseBytes) is `failed`: the caller
// fails closed. Unknown members are ignored, so a backend may add its own.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::access {

enum class HookVerdict : uint8_t { allow, deny, failed };

/// The identity a connect hook gave.
struct ConnectAnswer {
  std::string user;                   // "" : authenticated without a user
  std::vector<std::string> channels;  // subscribe grants (jwt/grants.h patterns)
  std::vector<std::string> publish;   // publish grants
  std::string info;                   // minified JSON object, or ""
  int64_t expire_at = 0;              // unix seconds; 0: never
};

/// Reads a connect hook's answer (`status`, `body`) into `*out` (filled only on allow).
HookVerdict parse_connect_answer(int status, std::string_view body, ConnectAnswer* out);

/// What a subscribe or publish hook allowed.
struct AllowAnswer {
  bool has_data = false;  // publish: the backend replaced the data
  std::string data;       // minified JSON text of the replacement
};

/// Reads a subscribe or publish hook's answer (`{"allow":bool}`, for publish optionally with
/// "data") into `*out` (filled only on allow).
HookVerdict parse_allow_answer(int status, std::string_view body, AllowAnswer* out);

}  // namespace herald::access
