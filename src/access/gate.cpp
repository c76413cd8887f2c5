#include "access/gate.h"

#include <string>
#include <utility>
#include <vector>

#include "access/tokens.h"
#include "base/log.h"
#include "base/time.h"
#include "proto/binary.h"
#include "proto/json.h"

namespace herald::access {

std::string_view hook_name(ClientTransport t) {
  switch (t) {
    case ClientTransport::http:
      return "http";
    case ClientTransport::websocket:
      return "websocket";
    case ClientTransport::sse:
      return "sse";
    case ClientTransport::long_poll:
      return "long-poll";
    case ClientTransport::poll:
      return "poll";
    case ClientTransport::udp:
      return "udp";
  }
  return "http";
}

std::string Client::address_text() const {
  return address ? address.address().to_string() : std::string("unknown");
}

int64_t Client::ms_until_expiry() const {
  if (!identity || identity->expires_at <= 0) return -1;
  int64_t left = identity->expires_at * 1000 - int64_t(base::wall_us() / 1000);
  return left > 0 ? left : 0;
}

const std::string& Client::user() const {
  static const std::string kNone;
  return identity ? identity->user : kNone;
}

Gate::Gate(hub::Hub& hub, Shared& shared, base::Metrics& metrics, const base::Settings* settings)
    : hub_(hub),
      shared_(shared),
      metrics_(metrics),
      settings_(settings),
      trusted_(settings->trusted_proxies) {}

size_t Gate::disconnect(std::string_view user, std::string_view client, Outcome why) {
  if (user.empty() && client.empty()) return 0;
  std::optional<ClientId> id = ClientId::parse(client);
  // Collected first: a member that ends leaves the set.
  std::vector<Member*> found;
  members_.for_each([&](Member& m) {
    if (id && m.member_client().id == *id)
      found.push_back(&m);
    else if (!user.empty() && m.member_client().identity && m.member_client().user() == user)
      found.push_back(&m);
  });
  for (Member* m : found) {
    m->disconnect(why);
    leave(m);
  }
  return found.size();
}

void Gate::join(Member* m) {
  if (!members_.contains(*m)) members_.push_front(*m);
}

void Gate::leave(Member* m) {
  if (members_.contains(*m)) members_.erase(*m);  // leave is idempotent
}

void Gate::set_settings(const base::Settings* s) {
  settings_ = s;
  trusted_ = TrustedProxies(s->trusted_proxies);
}

namespace {
constexpr uint32_t kRefusalLogsPerSecond = 10;
}

Outcome Gate::authenticate(std::string_view token, std::string_view who, IdentityPtr* out) {
  std::shared_ptr<const jwt::KeySet> keys = shared_.keys();
  static const jwt::KeySet kNoKeys;
  auto r = jwt::verify_token(token, keys ? *keys : kNoKeys, verify_options(*settings_));
  if (auto* claims = std::get_if<jwt::Claims>(&r)) {
    ++metrics_.tokens_accepted;
    *out = identity_of(std::move(*claims));
    return Outcome::ok;
  }
  jwt::TokenError e = std::get<jwt::TokenError>(r);
  int i = static_cast<int>(e);
  if (i >= 0 && i < base::Metrics::kTokenReasons) ++metrics_.tokens_refused[i];
  log_refusal(jwt::token_error_name(e), who);
  return e == jwt::TokenError::expired ? Outcome::token_expired : Outcome::unauthorized;
}

void Gate::log_refusal(std::string_view reason, std::string_view who) {
  uint64_t now = base::monotonic_ms();
  if (now >= log_window_ms_ + 1000) {
    if (suppressed_ > 0)
      HLOG_INFO("token refused: %llu more refusals not logged in the last second",
                static_cast<unsigned long long>(suppressed_));
    log_window_ms_ = now;
    logged_in_window_ = 0;
    suppressed_ = 0;
  }
  if (logged_in_window_ >= kRefusalLogsPerSecond) {
    ++suppressed_;
    return;
  }
  ++logged_in_window_;
  HLOG_INFO("token refused: %.*s (client %.*s)", int(reason.size()), reason.data(), int(who.size()),
            who.data());
}

bool Gate::admit_user(const Identity* id) {
  if (!id || id->admin() || id->user.empty()) return true;
  return shared_.acquire_connection(id->user, settings_->max_connections_per_user);
}

void Gate::release_user(const Identity* id) {
  if (!id || id->admin() || id->user.empty()) return;
  shared_.release_connection(id->user);
}

Outcome Gate::check(const Client& c, Action a, std::string_view channel) const {
  return check(c, a, base::ChannelName::check(channel));
}

Outcome Gate::check(const Client& c, Action a, base::ChannelName channel) const {
  if (channel.empty()) return Outcome::bad_channel;
  return decide(settings_->namespace_for(channel), c.requester(), a, channel);
}

void Gate::subscribe(const Client& c, hub::Subscriber* sub, std::string_view channel,
                     std::optional<base::Cursor> since, SubscribeDone done) {
  Outcome o = check(c, Action::subscribe, channel);
  if (o == Outcome::forbidden && hooks_ && !settings_->auth_subscribe_url.empty()) {
    auto pending = std::make_shared<PendingSubscribe>(PendingSubscribe{sub, std::string(channel)});
    pending_.push_back(pending);
    ask_subscribe(c, sub->presence().client, channel,
                  [this, pending, since = std::move(since), done = std::move(done)](Outcome hook) {
                    std::erase(pending_, pending);
                    if (pending->cancelled) return;
                    if (hook != Outcome::ok) {
                      if (hook == Outcome::forbidden) ++metrics_.access_denied;
                      return done(hook, hub::SubscribeResult{});
                    }
                    subscribe_allowed(pending->sub, pending->channel, std::move(since),
                                      std::move(done));
                  });
    return;
  }
  if (o != Outcome::ok) {
    ++metrics_.access_denied;
    return done(o, hub::SubscribeResult{});
  }
  subscribe_allowed(sub, channel, std::move(since), std::move(done));
}

void Gate::subscribe_allowed(hub::Subscriber* sub, std::string_view channel,
                             std::optional<base::Cursor> since, SubscribeDone done) {
  // Where the namespace announces joins and leaves, a present subscriber's entry rides with
  // its subscription (the hub sends it on join and on leave, however the subscription ends).
  base::SharedBuffer announce;
  if (settings_->namespace_for(channel).join_leave) {
    hub::PresenceInfo who = sub->presence();
    if (!who.client.empty()) {
      std::string entry;
      proto::encode_presence_entry(entry, {who.client, who.user, who.info});
      announce = base::SharedBuffer::copy_of(entry);
    }
  }
  hub_.subscribe(
      sub, channel, std::move(since),
      [done = std::move(done)](hub::SubscribeResult r) {
        Outcome out = outcome_of(r.error);
        done(out, std::move(r));
      },
      std::move(announce));
}

void Gate::unsubscribe(hub::Subscriber* sub, std::string_view channel) {
  if (!pending_.empty()) cancel_pending(sub, channel, false);
  hub_.unsubscribe(sub, channel);
}

void Gate::unsubscribe_all(hub::Subscriber* sub) {
  if (!pending_.empty()) cancel_pending(sub, {}, true);
  hub_.unsubscribe_all(sub);
}

void Gate::cancel_pending(hub::Subscriber* sub, std::string_view channel, bool all) {
  for (auto& p : pending_)
    if (p->sub == sub && (all || p->channel == channel)) p->cancelled = true;
}

bool Gate::take_publish_token(const Client& c, RateBucket& bucket, uint64_t now_ms) {
  const Identity* id = c.identity.get();
  if (id && id->admin()) return true;
  uint32_t rate = settings_->publish_rate;
  if (id && !id->user.empty()) return shared_.take_publish_token(id->user, rate, now_ms);
  return bucket.take(rate, now_ms);
}

void Gate::publish(Client& c, RateBucket& bucket, base::ChannelName channel, hub::Payload payload,
                   uint64_t now_ms, PublishDone done) {
  Outcome o = check(c, Action::publish, channel);
  if (o == Outcome::ok && payload.binary && !proto::binary_fits(payload.data.size(), *settings_))
    o = Outcome::message_too_large;
  if (o == Outcome::ok && !take_publish_token(c, bucket, now_ms)) o = Outcome::rate_limited;
  if (o != Outcome::ok) {
    ++metrics_.access_denied;
    return done(make_error_code(o));
  }
  const Identity* id = c.identity.get();
  if (hooks_ && !settings_->auth_publish_url.empty() && !(id && id->admin())) {
    std::string body =
        encode_publish_request(c.id.text(), c.user(), channel, payload.data.view(), payload.binary);
    // Never retried: the backend may have acted on a publish whose answer was lost.
    ask(HookKind::publish, settings_->auth_publish_url, std::move(body), false,
        [this, channel = std::string(channel), payload = std::move(payload),
         done = std::move(done)](HookReply reply) mutable {
          AllowAnswer allow;
          Outcome o = judge(HookKind::publish, reply, &allow);
          if (o != Outcome::ok) {
            if (o == Outcome::forbidden) ++metrics_.access_denied;
            return done(make_error_code(o));
          }
          // A replaced payload is the backend's JSON `data`, whatever was published.
          if (allow.has_data) payload = base::SharedBuffer::copy_of(allow.data);
          // The copy of a name judged on the way in: judged again, not trusted blindly.
          hub_.publish(base::ChannelName::check(channel), std::move(payload), std::move(done));
        });
    return;
  }
  // Nothing stands between the rules and the hub: the caller's callback goes to the hub as it
  // is, since a wrapper (a std::function holding a std::function) costs an allocation.
  hub_.publish(channel, std::move(payload), std::move(done));
}

void Gate::history(const Client& c, std::string_view channel, std::optional<base::Cursor> since,
                   size_t limit, HistoryDone done) {
  read(Action::history, c, channel, std::move(since), limit, std::move(done));
}

void Gate::catch_up(const Client& c, std::string_view channel, std::optional<base::Cursor> since,
                    size_t limit, HistoryDone done) {
  read(Action::subscribe, c, channel, std::move(since), limit, std::move(done));
}

void Gate::read(Action a, const Client& c, std::string_view channel,
                std::optional<base::Cursor> since, size_t limit, HistoryDone done) {
  Outcome o = check(c, a, channel);
  if (o == Outcome::forbidden && a == Action::subscribe && hooks_ &&
      !settings_->auth_subscribe_url.empty()) {
    // A poll subscribes for one request: the subscribe hook decides as for a subscription.
    ask_subscribe(c, c.id.text(), channel,
                  [this, channel = std::string(channel), since = std::move(since), limit,
                   done = std::move(done)](Outcome hook) mutable {
                    if (hook != Outcome::ok) {
                      if (hook == Outcome::forbidden) ++metrics_.access_denied;
                      return done(hook, hub::HistoryResult{});
                    }
                    read_allowed(channel, std::move(since), limit, std::move(done));
                  });
    return;
  }
  if (o != Outcome::ok) {
    if (o == Outcome::forbidden) ++metrics_.access_denied;
    return done(o, hub::HistoryResult{});
  }
  read_allowed(channel, std::move(since), limit, std::move(done));
}

void Gate::read_allowed(std::string_view channel, std::optional<base::Cursor> since, size_t limit,
                        HistoryDone done) {
  hub_.history(channel, std::move(since), limit,
               [done = std::move(done)](base::Result<hub::HistoryResult> r) {
                 if (!r) return done(outcome_of(r.error()), hub::HistoryResult{});
                 done(Outcome::ok, std::move(r.value()));
               });
}

// ---- backend hooks ---------------------------------------------------------------------------

void Gate::ask(HookKind kind, const std::string& url, std::string body, bool retry_safe,
               std::function<void(HookReply)> then) {
  uint64_t start_ns = base::monotonic_ns();
  hooks_->post(url, std::move(body), retry_safe,
               [this, kind, start_ns, then = std::move(then)](HookReply reply) {
                 metrics_.hook_latency_us_sum[int(kind)] +=
                     (base::monotonic_ns() - start_ns) / 1000;
                 ++metrics_.hook_latency_count[int(kind)];
                 then(std::move(reply));
               });
}

namespace {

// Counts and names a transport failure; false when the backend answered.
bool failed(const HookReply& reply, HookResult* r) {
  switch (reply.failure) {
    case HookReply::Failure::none:
      return false;
    case HookReply::Failure::timeout:
      *r = HookResult::timeout;
      return true;
    case HookReply::Failure::overload:
      *r = HookResult::overload;
      return true;
    case HookReply::Failure::error:
      break;
  }
  *r = HookResult::error;
  return true;
}

constexpr uint32_t kHookLogsPerSecond = 10;

}  // namespace

Outcome Gate::judge(HookKind kind, const HookReply& reply, AllowAnswer* allow) {
  HookResult r = HookResult::error;
  HookVerdict v = HookVerdict::failed;
  if (!failed(reply, &r)) v = parse_allow_answer(reply.status, reply.body, allow);
  if (v == HookVerdict::allow) r = HookResult::allow;
  if (v == HookVerdict::deny) r = HookResult::deny;
  count(kind, r);
  if (v == HookVerdict::failed) {
    log_hook_failure(kind, r, reply.status);
    return Outcome::hook_unavailable;
  }
  return v == HookVerdict::allow ? Outcome::ok : Outcome::forbidden;
}

void Gate::log_hook_failure(HookKind kind, HookResult r, int status) {
  // At most a few lines a second: a backend that is down fails every request.
  uint64_t now = base::monotonic_ms();
  if (now >= hook_log_window_ms_ + 1000) {
    hook_log_window_ms_ = now;
    hook_logged_ = 0;
  }
  if (hook_logged_++ >= kHookLogsPerSecond) return;
  std::string_view k = hook_kind_name(kind), why = hook_result_name(r);
  HLOG_WARN("%.*s hook failed (%.*s, status %d): refused, fail closed", int(k.size()), k.data(),
            int(why.size()), why.data(), status);
}

void Gate::ask_subscribe(const Client& c, std::string_view client_id, std::string_view channel,
                         std::function<void(Outcome)> then) {
  std::string body = encode_subscribe_request(client_id, c.user(), channel, hook_name(c.transport));
  ask(HookKind::subscribe, settings_->auth_subscribe_url, std::move(body), true,
      [this, then = std::move(then)](HookReply reply) {
        AllowAnswer allow;
        then(judge(HookKind::subscribe, reply, &allow));
      });
}

void Gate::identify(ClientTransport transport, std::string_view address,
                    std::span<const HookHeader> headers, IdentifyDone done) {
  std::string body = encode_connect_request(hook_name(transport), address, headers);
  ask(HookKind::connect, settings_->auth_connect_url, std::move(body), true,
      [this, done = std::move(done)](HookReply reply) {
        HookResult r = HookResult::error;
        HookVerdict v = HookVerdict::failed;
        ConnectAnswer a;
        if (!failed(reply, &r)) v = parse_connect_answer(reply.status, reply.body, &a);
        int64_t now_sec = int64_t(base::wall_us() / 1'000'000);
        // An identity that has already expired is a refusal, as an expired token is.
        if (v == HookVerdict::allow && a.expire_at != 0 && a.expire_at <= now_sec)
          v = HookVerdict::deny;
        if (v == HookVerdict::allow) r = HookResult::allow;
        if (v == HookVerdict::deny) r = HookResult::deny;
        count(HookKind::connect, r);
        if (v == HookVerdict::failed) {
          log_hook_failure(HookKind::connect, r, reply.status);
          return done(Outcome::hook_unavailable, nullptr);
        }
        if (v == HookVerdict::deny) return done(Outcome::unauthorized, nullptr);
        auto id = std::make_unique<Identity>();
        id->source = Source::hook;
        id->user = std::move(a.user);
        id->info = std::move(a.info);
        id->expires_at = a.expire_at;
        id->channels = std::move(a.channels);
        id->publish = std::move(a.publish);
        done(Outcome::ok, IdentityPtr(std::move(id)));
      });
}

void Gate::presence(const Client& c, std::string_view channel, PresenceDone done) {
  Outcome o = check(c, Action::presence, channel);
  if (o != Outcome::ok) {
    if (o == Outcome::forbidden) ++metrics_.access_denied;
    return done(o, hub::Presence{});
  }
  hub_.presence(channel,
                [done = std::move(done)](hub::Presence p) { done(Outcome::ok, std::move(p)); });
}

void Gate::channels(const Client& c, ChannelsDone done) {
  if (!c.identity || !c.identity->admin()) {
    ++metrics_.access_denied;
    return done(Outcome::forbidden, {});
  }
  hub_.channels([done = std::move(done)](std::vector<hub::ChannelInfo> list) {
    done(Outcome::ok, std::move(list));
  });
}

}  // namespace herald::access
