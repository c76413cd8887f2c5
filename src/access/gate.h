#pragma once
// The access layer's door on one loop: every surface (WebSocket herald.v1, SSE, long-poll and
// short poll, the HTTP API) reaches the hub through its loop's Gate, never directly. The gate
// checks the rules (access/policy.h) for the client's identity, counts what is counted per
// identity (publish rate, connections per user), and answers in access::Outcome, which
// access::answer() turns into each transport's reply.
//
// One Gate per loop, owned by the server's worker; use it only on that loop's thread. What all
// loops share (per-user counters) lives in access::Shared, which is thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/client_address.h"
#include "access/hook_answer.h"
#include "access/hooks.h"
#include "access/identity.h"
#include "access/outcome.h"
#include "access/policy.h"
#include "access/shared.h"
#include "base/channel.h"
#include "base/intrusive_list.h"
#include "base/metrics.h"
#include "base/settings.h"
#include "base/shared_buffer.h"
#include "hub/hub.h"

namespace herald::access {

/// How a client connects, as the backend hooks are told ("transport" in their requests).
enum class ClientTransport : uint8_t { http, websocket, sse, long_poll, poll, udp };
/// "http", "websocket", "sse", "long-poll", "poll" or "udp".
std::string_view hook_name(ClientTransport t);

/// What the access layer keeps about a client: its identity and where it connects from. One
/// per connection (WebSocket, SSE) or per request (poll, HTTP API).
// Members in this order leave no hole (48 bytes; every WebSocket and SSE session holds one).
// An anonymous client's publish rate bucket is not here: it belongs to what can publish (a
// WebSocket session, a UDP lease), not to an SSE stream.
struct Client {
  IdentityPtr identity;  // nullptr: anonymous
  // The real client address when known (a trusted proxy may forward for someone it does not
  // name): for logs and hooks.
  net::PackedAddress address;
  bool loopback = false;  // the real client address (after trusted proxies) is on loopback
  bool udp = false;       // a UDP lease (publish needs the namespace's udp_publish)
  // Asked about by the backend hooks: how the client connects and its connection's id, when
  // it has one.
  ClientTransport transport = ClientTransport::http;
  // A session's client admitted against max_connections_per_user (Gate::admit_user), to be
  // released once when the session ends.
  bool user_counted = false;
  ClientId id;  // a session's; none for a request's client

  Requester requester() const { return Requester{identity.get(), loopback, udp}; }
  const std::string& user() const;
  /// "203.0.113.7:50412", or "unknown" when a proxy did not say.
  std::string address_text() const;
  /// Milliseconds until the identity's token expires, by the wall clock (0: it has), or -1
  /// when it does not expire.
  int64_t ms_until_expiry() const;
};

/// A long-lived connection (a WebSocket, an SSE stream): a hub subscriber that the operator
/// can end (POST /api/disconnect). A session joins its loop's gate when it is established and
/// leaves before it goes away. One base for both roles, so a session has one vtable pointer
/// for them, not two (8 bytes per connection).
class Member : public hub::Subscriber {
 public:
  /// Its client record (with the connection's client id, as presence shows it).
  virtual const Client& member_client() const = 0;
  /// Ends the connection with `o`'s answer (WebSocket close code, SSE event); may leave().
  virtual void disconnect(Outcome o) = 0;

 protected:
  ~Member() = default;

 private:
  friend class Gate;
  // Links in the gate's list of members (intrusive: a hash set cost a 32-byte node and a
  // bucket per connection).
  base::ListHook<Member> gate_hook_;
};

class Gate {
 public:
  using SubscribeDone = std::function<void(Outcome, hub::SubscribeResult)>;
  /// The hub's own callback type: without a publish hook the gate hands it to the hub as it
  /// is (no wrapper to allocate per publish). A refusal arrives as an error code of
  /// outcome_category(); outcome_of(r.error()) reads every error as an Outcome.
  using PublishDone = hub::Hub::PublishCallback;
  using HistoryDone = std::function<void(Outcome, hub::HistoryResult)>;
  using PresenceDone = std::function<void(Outcome, hub::Presence)>;

  /// `hub`, `shared` and `metrics` outlive the gate; `settings` is swapped by set_settings.
  Gate(hub::Hub& hub, Shared& shared, base::Metrics& metrics, const base::Settings* settings);

  void set_settings(const base::Settings* s);
  /// The HTTP client that carries backend hook requests on this loop (outlives its use here:
  /// the gate stops asking once set_hooks(nullptr) ran). Without one no hook is asked.
  void set_hooks(HookTransport* t) { hooks_ = t; }
  /// server.trusted_proxies, parsed (rebuilt when the settings change).
  const TrustedProxies& trusted_proxies() const { return trusted_; }
  const base::Settings& settings() const { return *settings_; }

  // --- who is this -------------------------------------------------------------------------
  /// Verifies a connection token with the keys in force: ok and the identity in `*out`,
  /// token_expired, or unauthorized (the reason is counted in the metrics and logged, a few
  /// lines per second at most, with `who`, e.g. the client's address).
  Outcome authenticate(std::string_view token, std::string_view who, IdentityPtr* out);
  /// Whether a client without a token is to be identified by the connect hook (identify()).
  bool has_connect_hook() const { return hooks_ && !settings_->auth_connect_url.empty(); }
  using IdentifyDone = std::function<void(Outcome, IdentityPtr)>;
  /// Asks the connect hook who a client without a token is. `done` runs later (never inside
  /// the call), at the latest after auth.hook_timeout_ms: ok and the identity; unauthorized
  /// when the backend denies; hook_unavailable when it fails (fail closed). Call only when
  /// has_connect_hook(). The caller checks that its client is still there when `done` runs.
  void identify(ClientTransport transport, std::string_view address,
                std::span<const HookHeader> headers, IdentifyDone done);

  /// Counts one more connection of `id`'s user against limits.max_connections_per_user:
  /// false (nothing counted) when it already has that many. Anonymous clients, the API key
  /// and identities without a user are not counted (true).
  bool admit_user(const Identity* id);
  /// Releases what admit_user counted (call once per successful admit_user).
  void release_user(const Identity* id);

  /// Registers / forgets a long-lived connection of this loop (leave is idempotent).
  void join(Member* m);
  void leave(Member* m);
  /// Ends, with `why`, every member of this loop whose user is `user` (when not empty) or whose
  /// client id is `client` (when not empty). Returns how many.
  size_t disconnect(std::string_view user, std::string_view client, Outcome why);

  // --- may they ----------------------------------------------------------------------------
  /// The rules alone: may `c` do `a` on `channel`? bad_channel when it is not a valid name.
  Outcome check(const Client& c, Action a, std::string_view channel) const;
  /// The same for a name judged where it entered (empty: bad_channel).
  Outcome check(const Client& c, Action a, base::ChannelName channel) const;

  /// Subscribes `sub` to `channel` from `since` (parsed at the surface) once the rules allow
  /// it, or, where they refuse and auth.subscribe_url is set, once the subscribe hook allows
  /// it (forbidden when it refuses, hook_unavailable when it fails). `done` gets the outcome
  /// and, when ok, the hub's answer (cursor, recovered, replay); a refusal may be answered
  /// inside the call. As with Hub::subscribe, `done` never runs once `sub` was unsubscribed
  /// from the channel through this gate (a hook still in flight is then forgotten).
  void subscribe(const Client& c, hub::Subscriber* sub, std::string_view channel,
                 std::optional<base::Cursor> since, SubscribeDone done);
  void unsubscribe(hub::Subscriber* sub, std::string_view channel);
  /// After it returns the gate and the hub hold no pointer to `sub`.
  void unsubscribe_all(hub::Subscriber* sub);
  /// Channels `sub` is subscribed to (pending included), for limits.max_subscriptions.
  size_t subscriptions(hub::Subscriber* sub) const { return hub_.subscription_count(sub); }
  /// Whether the hub holds `sub`'s subscription to `channel` (one the gate still asks a
  /// hook about is not there yet).
  bool subscribed(hub::Subscriber* sub, std::string_view channel) const {
    return hub_.subscribed(sub, channel);
  }

  /// Publishes `payload` (valid JSON text, or bytes) for `c`: rules, the size of a binary
  /// payload (binary_fits: else message_too_large), publish rate (per user, or from `bucket`,
  /// the publisher's own, for anonymous ones; none for the API key), the publish hook when
  /// auth.publish_url is set (not for the API key; it may refuse or replace the data), then
  /// the hub. `now_ms` is the loop's clock. With a hook, `done` runs later: the caller checks
  /// it is still there.
  void publish(Client& c, RateBucket& bucket, base::ChannelName channel, hub::Payload payload,
               uint64_t now_ms, PublishDone done);

  /// History after `since` (or the newest `limit`), when the rules allow it.
  void history(const Client& c, std::string_view channel, std::optional<base::Cursor> since,
               size_t limit, HistoryDone done);

  /// What a short poll reads: the publications after `since` (or only the current cursor with
  /// `limit` 0), allowed to whoever may subscribe (a poll is a subscription that lasts one
  /// request, so the subscribe hook is asked where the rules refuse), not only to whoever
  /// may read history.
  void catch_up(const Client& c, std::string_view channel, std::optional<base::Cursor> since,
                size_t limit, HistoryDone done);

  /// Presence of `channel` on every loop, when the rules allow it.
  void presence(const Client& c, std::string_view channel, PresenceDone done);

  using ChannelsDone = std::function<void(Outcome, std::vector<hub::ChannelInfo>)>;
  /// Every channel with subscribers (the operator's view): the API key only.
  void channels(const Client& c, ChannelsDone done);

 private:
  /// A subscribe the rules allowed (or the hook did).
  void subscribe_allowed(hub::Subscriber* sub, std::string_view channel,
                         std::optional<base::Cursor> since, SubscribeDone done);
  void read_allowed(std::string_view channel, std::optional<base::Cursor> since, size_t limit,
                    HistoryDone done);
  /// Sends one hook request; `then` gets the reply (latency counted here).
  void ask(HookKind kind, const std::string& url, std::string body, bool retry_safe,
           std::function<void(HookReply)> then);
  void count(HookKind kind, HookResult r) { ++metrics_.hook_requests[int(kind)][int(r)]; }
  /// The outcome of a subscribe or publish hook's reply (counted); `*allow` filled on ok.
  Outcome judge(HookKind kind, const HookReply& reply, AllowAnswer* allow);
  /// Asks the subscribe hook for `channel`; `then` gets ok, forbidden or hook_unavailable.
  void ask_subscribe(const Client& c, std::string_view client_id, std::string_view channel,
                     std::function<void(Outcome)> then);
  void cancel_pending(hub::Subscriber* sub, std::string_view channel, bool all);
  /// Logs a failed hook, a few lines per second at most.
  void log_hook_failure(HookKind kind, HookResult r, int status);

  void read(Action a, const Client& c, std::string_view channel, std::optional<base::Cursor> since,
            size_t limit, HistoryDone done);
  /// One publish token of `c` (from `bucket` when it is anonymous): false when it is over
  /// limits.publish_rate.
  bool take_publish_token(const Client& c, RateBucket& bucket, uint64_t now_ms);

  /// Logs a refused token, at most kRefusalLogsPerSecond lines per second per loop (a flood of
  /// bad tokens must not flood the log); the rest is counted and summed up in the next line.
  void log_refusal(std::string_view reason, std::string_view who);

  hub::Hub& hub_;
  Shared& shared_;
  uint64_t log_window_ms_ = 0;
  uint32_t logged_in_window_ = 0;
  uint64_t suppressed_ = 0;
  base::Metrics& metrics_;
  const base::Settings* settings_;
  TrustedProxies trusted_;
  base::IntrusiveList<Member, &Member::gate_hook_> members_;
  HookTransport* hooks_ = nullptr;
  uint64_t hook_log_window_ms_ = 0;
  uint32_t hook_logged_ = 0;
  // Subscribes waiting for the subscribe hook: an unsubscribe marks its entry cancelled, so
  // the answer is dropped (at most auth.hook_max_inflight entries).
  struct PendingSubscribe {
    hub::Subscriber* sub;
    std::string channel;
    bool cancelled = false;
  };
  std::vector<std::shared_ptr<PendingSubscribe>> pending_;
};

}  // namespace herald::access
