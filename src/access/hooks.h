#pragma once
// Backend hooks ([auth] connect_url, subscribe_url, publish_url): herald POSTs a JSON
// description of a client's request to the application and obeys the answer. This file holds
// what the access layer needs to ask: the transport it asks through (an interface that the
// server fills with src/hook's HTTP client, so that access itself does no I/O), the request
// bodies (pure encoders) and the names used in metrics. The answers are read by
// access/hook_answer.h; access::Gate decides when to ask and what an answer means.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace herald::access {

enum class HookKind : uint8_t { connect, subscribe, publish };
inline constexpr int kHookKinds = 3;

/// How one hook request ended, as counted in herald_hook_requests_total{result}.
enum class HookResult : uint8_t { allow, deny, error, timeout, overload };
inline constexpr int kHookResults = 5;

std::string_view hook_kind_name(HookKind k);
std::string_view hook_result_name(HookResult r);

/// What the transport got back for one request.
struct HookReply {
  enum class Failure : uint8_t {
    none,      // the backend answered: status and body hold its response
    timeout,   // no complete answer within auth.hook_timeout_ms
    overload,  // auth.hook_max_inflight requests were already waiting on this loop
    error,     // no connection, the connection died, or the response was not HTTP
  };
  Failure failure = Failure::none;
  int status = 0;
  std::string body;
};

/// The HTTP client that carries hook requests (one per loop, src/hook/client.h).
class HookTransport {
 public:
  using Done = std::function<void(HookReply)>;
  virtual ~HookTransport() = default;
  /// POSTs `body` (JSON) to `url` (http://host:port/path). `done` runs exactly once on this
  /// loop, never inside post(), at the latest after the timeout; it does not run after the
  /// transport is destroyed. `retry_safe`: the request may be sent again on a fresh connection
  /// when a pooled keep-alive connection turns out closed before any byte of the answer came.
  virtual void post(std::string_view url, std::string body, bool retry_safe, Done done) = 0;
};

/// One request header forwarded to the connect hook (auth.hook_headers).
using HookHeader = std::pair<std::string, std::string>;

/// {"transport":"websocket","address":"1.2.3.4","headers":{"Cookie":".."}}
std::string encode_connect_request(std::string_view transport, std::string_view address,
                                   std::span<const HookHeader> headers);
/// {"client":"c0-1","user":"alice","channel":"c","transport":"websocket"}
std::string encode_subscribe_request(std::string_view client, std::string_view user,
                                     std::string_view channel, std::string_view transport);
/// {"client":"c0-1","user":"alice","channel":"c","data":<the published JSON>}; a binary
/// payload goes as "b64":"<base64 of the bytes>" instead of "data".
std::string encode_publish_request(std::string_view client, std::string_view user,
                                   std::string_view channel, std::string_view data,
                                   bool binary = false);

}  // namespace herald::access
