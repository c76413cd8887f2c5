#pragma once
// The HTTP/1.1 client that carries backend hook requests (access::HookTransport), one per loop,
// on that loop: no thread, no blocking call. Plain http:// only (docs/security.md says why).
//
//   - keep-alive pool per host:port: an answered request leaves its connection idle for the
//     next one (at most auth.hook_max_inflight idle connections per host:port; the backend
//     may close them whenever it likes);
//   - auth.hook_max_inflight requests at once on this loop; one more fails at once (overload);
//   - auth.hook_timeout_ms per request, from post() to the complete answer; a request that
//     runs out of time fails (timeout) and its connection is reset (it cannot be reused);
//   - a connection that dies before the complete answer fails its request (error), except
//     that a retry-safe request sent on a pooled connection that the backend had closed
//     (nothing of an answer came back) is sent once more on a fresh connection;
//   - answers are read by the pure http_codec response parser, bodies up to
//     limits::kMaxHookResponseBytes (larger: error).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "access/hooks.h"
#include "base/error.h"
#include "base/settings.h"
#include "loop/loop.h"
#include "net/address.h"

namespace herald::hook {

/// A parsed hook URL: "http://127.0.0.1:9000/connect" (a numeric host or localhost; port 80
/// when none; path "/" when none).
struct Url {
  net::Address address;
  std::string authority;  // "127.0.0.1:9000": the Host header and the pool key
  std::string path;       // "/connect", with its query if any
};

/// Parses a hook URL; fails (bad_request) for anything else, https:// included.
base::Result<Url> parse_url(std::string_view url);

class Client final : public access::HookTransport {
 public:
  /// `settings` (timeout, in-flight limit) is read at each request; swap it with set_settings.
  Client(loop::Loop& loop, const base::Settings* settings);
  /// Resets every connection; callbacks of requests still in flight are dropped, not called.
  /// The connections are deleted by the loop's next reap.
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set_settings(const base::Settings* s);

  void post(std::string_view url, std::string body, bool retry_safe, Done done) override;

  /// Requests waiting for an answer (for tests).
  size_t in_flight() const { return requests_.size(); }
  /// Idle pooled connections, all hosts (for tests).
  size_t idle_connections() const;

 private:
  struct Request;
  class Handler;

  /// Sends request `id` on an idle connection of its host, or a new one (`fresh`: a new one).
  void start(uint64_t id, bool fresh);
  /// Ends request `id` with `reply` and runs its callback (nothing if it already ended).
  void finish(uint64_t id, access::HookReply reply);
  /// A connection answered its request completely.
  void answered(Handler* h, access::HookReply reply, bool keep_alive);
  /// A connection closed (either side, or it never connected).
  void closed(Handler* h);
  /// Runs `fn` in this iteration but not inside the caller (post() never calls back).
  void later(std::function<void()> fn);

  loop::Loop& loop_;
  const base::Settings* settings_;
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Request>> requests_;
  std::unordered_map<std::string, std::vector<Handler*>> idle_;  // by authority
  std::unordered_set<Handler*> handlers_;                        // every open connection
  std::unordered_map<std::string, Url> urls_;                    // parsed, by URL text
  std::shared_ptr<char> alive_ = std::make_shared<char>();       // for later()
};

}  // namespace herald::hook
