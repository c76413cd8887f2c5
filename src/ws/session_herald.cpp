#include "ws/session_herald.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <optional>

#include "base/channel.h"
#include "base/error.h"
#include "base/log.h"
#include "hub/replay_forms.h"
#include "proto/binary.h"
#include "ws_codec/frame.h"

namespace herald::ws {

namespace {

WsLimits limits_of(const base::Settings& s) {
  WsLimits l;
  l.role = Role::server;
  l.max_message = s.ws_max_message;
  return l;
}

}  // namespace

namespace {

std::string& push_json(const hub::Publication& pub) {
  thread_local std::string scratch;
  scratch.clear();
  switch (pub.kind) {
    case hub::PubKind::message:
      if (pub.binary)
        proto::encode_binary_push(scratch, pub.channel, pub.offset, pub.data.view());
      else
        proto::encode_push(scratch, pub.channel, pub.offset, pub.data.view());
      break;
    case hub::PubKind::join:
      proto::encode_join_push(scratch, pub.channel, pub.data.view());
      break;
    case hub::PubKind::leave:
      proto::encode_leave_push(scratch, pub.channel, pub.data.view());
      break;
  }
  return scratch;
}

// A binary publication is a binary frame: its push object, NUL, its bytes (proto/binary.h).
Opcode push_opcode(const hub::Publication& pub) {
  return pub.binary ? Opcode::binary : Opcode::text;
}

}  // namespace

base::SharedBuffer make_push_frame(const hub::Publication& pub) {
  if (pub.kind != hub::PubKind::message || pub.binary)
    return make_frame(push_opcode(pub), push_json(pub));
  // The common push, a text message, written straight into its frame: one allocation and one
  // pass instead of encoding into a scratch string and copying that. The name goes in as it
  // is: a publication reaches a connection only through a channel it subscribed to, and a
  // valid name (letters, digits, "_.:@#=-,") has no byte that JSON escapes.
  assert(base::valid_channel(pub.channel));
  std::string_view data = pub.data.view();
  size_t len = proto::push_size(pub.channel, pub.offset, data);
  char header[kMaxFrameHeader];
  size_t hlen = frame_header(Opcode::text, len, true, header);
  char* p = nullptr;
  base::SharedBuffer frame = base::SharedBuffer::allocate(hlen + len, &p);
  std::memcpy(p, header, hlen);
  proto::write_push(p + hlen, pub.channel, pub.offset, data);
  return frame;
}

base::SharedBuffer make_push_frame(const hub::Publication& pub, const DeflateParams& deflate) {
  return make_data_frame(push_opcode(pub), push_json(pub), deflate);
}

// ---- HeraldSession ---------------------------------------------------------------------------

// One per WebSocket connection: within a 208-byte slab slot (docs/benchmarks.md §5).
static_assert(sizeof(HeraldSession) <= 200, "ws::HeraldSession grew past 200 bytes");

HeraldSession::HeraldSession(http::Context& ctx, access::Gate& gate, net::Connection& conn,
                             access::Client client, DeflateParams deflate)
    : WsSessionBase(ctx, conn, base::Transport::ws, limits_of(*ctx.settings), deflate),
      gate_(gate),
      client_(std::move(client)),
      opened_ms_(ctx.loop->now_ms()) {
  client_.user_counted = client_.identity != nullptr;  // admitted by the upgrade (ws/session.cpp)
  gate_.join(this);
  // The client id: presence, POST /api/disconnect, and named in backend hook requests.
  client_.id = access::ClientId::next(ctx.loop->index());
  rearm();  // the token's expiry, if it has one
  access::log_conn_open(client_, base::Transport::ws);
}

void HeraldSession::release_identity() {
  gate_.leave(this);
  if (client_.user_counted) gate_.release_user(client_.identity.get());
  client_.user_counted = false;
}

hub::PresenceInfo HeraldSession::presence() const {
  const access::Identity* id = client_.identity.get();
  if (!id || id->admin()) return {client_.id.text(), {}, {}};
  return {client_.id.text(), id->user, id->info};
}

HeraldSession::~HeraldSession() {
  release_identity();
  // on_close normally did this already; a session destroyed without a close (server teardown)
  // must not leave the hub a dangling pointer either.
  forget_alive();
  if (!channels_.empty() || gate_.subscriptions(this) > 0) gate_.unsubscribe_all(this);
}

void HeraldSession::on_closed() {
  const net::ConnectionStats& st = conn_.stats();
  access::log_conn_close(client_, base::Transport::ws, close_reason(),
                         ctx_.loop->now_ms() - opened_ms_, st.bytes_in, st.bytes_out);
  release_identity();
  gate_.unsubscribe_all(this);
  channels_.clear();
  backlog_.reset();
  forget_alive();
}

HeraldSession::AliveRef HeraldSession::alive() {
  if (!alive_) alive_ = new Alive(this);
  return AliveRef(alive_);
}

void HeraldSession::forget_alive() {
  if (!alive_) return;
  alive_->session = nullptr;
  AliveRef::release(std::exchange(alive_, nullptr));
}

bool HeraldSession::subscribed(std::string_view channel) {
  return channels_.contains(channel) || gate_.subscribed(this, channel);
}

size_t HeraldSession::subscription_count() {
  return gate_.subscriptions(this) +
         channels_.count_if([this](std::string_view ch) { return !gate_.subscribed(this, ch); });
}

void HeraldSession::forget_channel(std::string_view channel) {
  channels_.remove(channel);
}

void HeraldSession::on_message(WsEvent& e) {
  proto::ProtoError err;
  proto::Command cmd;  // per frame: an idle session keeps no parsed command around
  // A binary frame is a command object, NUL, then the payload bytes (proto/binary.h).
  bool ok = e.kind == WsEvent::binary ? proto::parse_binary_command(e.payload, &cmd, &err)
                                      : proto::parse_command(e.payload, &cmd, &err);
  if (!ok) {
    std::string out;
    proto::encode_error(out, err);
    send_frame(Opcode::text, out);
    ++ctx_.metrics->messages_out;
    return;
  }
  handle(cmd);
}

void HeraldSession::handle(const proto::Command& cmd) {
  switch (cmd.op) {
    case proto::Op::connect:
      return op_connect(cmd);
    case proto::Op::subscribe:
      return op_subscribe(cmd);
    case proto::Op::unsubscribe:
      return op_unsubscribe(cmd);
    case proto::Op::publish:
      return op_publish(cmd);
    case proto::Op::history:
      return op_history(cmd);
    case proto::Op::presence:
      return op_presence(cmd);
    case proto::Op::ping: {
      std::string out;
      proto::encode_pong(out, cmd.id);
      return reply(cmd, out);
    }
    case proto::Op::refresh:
      return op_refresh(cmd);
  }
}

void HeraldSession::reply(const proto::Command& cmd, const std::string& json) {
  if (!cmd.has_id) return;
  send_frame(Opcode::text, json);
  ++ctx_.metrics->messages_out;
}

void HeraldSession::reply_error(const proto::Command& cmd, access::Outcome o) {
  reply_error(cmd.has_id, cmd.id, o);
}

void HeraldSession::reply_error(bool has_id, uint64_t id, access::Outcome o) {
  const access::Answer& a = access::answer(o);
  reply_error(has_id, id, a.status, a.message);
}

void HeraldSession::reply_error(bool has_id, uint64_t id, int code, std::string_view message) {
  std::string out;
  proto::encode_error(out, has_id, id, code, message);
  send_frame(Opcode::text, out);
  ++ctx_.metrics->messages_out;
}

void HeraldSession::op_connect(const proto::Command& cmd) {
  if (cmd.has_token) {
    access::IdentityPtr id;
    access::Outcome o = gate_.authenticate(cmd.token, client_.address_text(), &id);
    if (o != access::Outcome::ok) return fail_connection(cmd, o);
    const access::Identity* old = client_.identity.get();
    bool same_user = old && old->user == id->user;
    if (!same_user) {
      // A connection counts once against its user's limit, whoever it authenticates as.
      if (!gate_.admit_user(id.get())) return fail_connection(cmd, access::Outcome::limit_reached);
      if (client_.user_counted) gate_.release_user(old);
      client_.user_counted = true;
    }
    client_.identity = std::move(id);
    rearm();  // the token expiry may have changed
  }
  std::string result = "{\"client\":";
  proto::append_json_string(result, client_.id.text());
  if (const access::Identity* id = client_.identity.get(); id && !id->admin()) {
    result += ",\"user\":";
    proto::append_json_string(result, id->user);
    if (id->expires_at > 0) {
      result += ",\"expires\":";
      proto::append_uint(result, uint64_t(id->expires_at));
    }
  }
  result += '}';
  std::string out;
  proto::encode_reply_ok(out, cmd.id, result);
  reply(cmd, out);
}

void HeraldSession::op_refresh(const proto::Command& cmd) {
  access::IdentityPtr id;
  access::Outcome o = gate_.authenticate(cmd.token, client_.address_text(), &id);
  // A bad refresh leaves the connection as it was (the client may retry until its token
  // expires); a refresh cannot change who the connection is.
  if (o != access::Outcome::ok) return reply_error(cmd, o);
  const access::Identity* old = client_.identity.get();
  if (!old || old->source != access::Source::token || old->user != id->user)
    return reply_error(cmd, access::Outcome::forbidden);
  client_.identity = std::move(id);
  rearm();  // the token expiry may have changed
  std::string result = "{";
  if (client_.identity->expires_at > 0) {
    result += "\"expires\":";
    proto::append_uint(result, uint64_t(client_.identity->expires_at));
  }
  result += '}';
  std::string out;
  proto::encode_reply_ok(out, cmd.id, result);
  reply(cmd, out);
}

int64_t HeraldSession::ms_until_deadline() const {
  return client_.ms_until_expiry();
}

void HeraldSession::on_deadline() {
  ++ctx_.metrics->tokens_expired_live;
  const access::Answer& a = access::answer(access::Outcome::token_expired);
  close_with(a.ws_close, a.message);
}

void HeraldSession::disconnect(access::Outcome o) {
  if (closing()) return;
  const access::Answer& a = access::answer(o);
  close_with(a.ws_close, a.message);
}

void HeraldSession::fail_connection(const proto::Command& cmd, access::Outcome o) {
  reply_error(cmd.has_id, cmd.id, o);
  const access::Answer& a = access::answer(o);
  close_with(a.ws_close, a.message);
}

void HeraldSession::op_subscribe(const proto::Command& cmd) {
  // Longer than any channel name may be (the gate would refuse it just the same).
  if (cmd.channel.size() > ChannelList::kMaxName)
    return reply_error(cmd, access::Outcome::bad_channel);
  if (subscribed(cmd.channel)) return reply_error(cmd, access::Outcome::already_subscribed);
  if (subscription_count() >= ctx_.settings->max_subscriptions)
    return reply_error(cmd, access::Outcome::too_many_subscriptions);
  // Named here until the subscription is answered (the gate may first ask a hook); from
  // then on the hub's record of this subscriber says it, so an idle session keeps no copy of
  // its channel names.
  channels_.add(cmd.channel);
  std::optional<base::Cursor> since;
  if (cmd.has_since) since = cmd.since;
  // The gate never runs this callback once the subscription is gone (unsubscribe or
  // unsubscribe_all in on_closed), so `this` is valid whenever it runs.
  gate_.subscribe(client_, this, cmd.channel, std::move(since),
                  [this, has_id = cmd.has_id, id = cmd.id, had_since = cmd.has_since,
                   channel = cmd.channel](access::Outcome o, hub::SubscribeResult r) {
                    forget_channel(channel);  // answered: the hub holds it, or nobody does
                    if (o != access::Outcome::ok) {
                      reply_error(has_id, id, o);
                      return;
                    }
                    if (had_since) {
                      if (r.recovered)
                        ++ctx_.metrics->recoveries_ok;
                      else
                        ++ctx_.metrics->recoveries_failed;
                    }
                    if (has_id) {
                      std::string out;
                      proto::encode_subscribe_result(out, id, r.cursor, had_since, r.recovered);
                      send_frame(Opcode::text, out);
                      ++ctx_.metrics->messages_out;
                    }
                    // Replayed publications go out as ordinary pushes after the reply and
                    // before any live one (the hub holds live publications until this
                    // callback returns; later ones queue behind the backlog).
                    if (!r.replay.empty() && !backlog_) backlog_ = std::make_unique<Backlog>();
                    for (hub::PubPtr& pub : r.replay)
                      backlog_->items.push_back(Queued{std::move(pub), {}});
                    pump();
                  });
}

void HeraldSession::op_unsubscribe(const proto::Command& cmd) {
  if (!subscribed(cmd.channel)) return reply_error(cmd, access::Outcome::not_subscribed);
  gate_.unsubscribe(this, cmd.channel);
  forget_channel(cmd.channel);
  // Pushes of that channel still waiting behind a replay would follow the reply: drop them.
  if (backlog_) {
    backlog_->items.erase_if([&](const Queued& q) {
      if (std::string_view(q.pub->channel) != cmd.channel) return false;
      if (!q.frame.empty()) backlog_->live_bytes -= q.frame.size();
      return true;
    });
    if (backlog_->items.empty()) backlog_.reset();
  }
  std::string out;
  proto::encode_pong(out, cmd.id);
  reply(cmd, out);
}

void HeraldSession::op_publish(const proto::Command& cmd) {
  if (cmd.data.size() > ctx_.settings->ws_max_message)
    return reply_error(cmd, access::Outcome::message_too_large);
  base::SharedBuffer data = base::SharedBuffer::copy_of(cmd.data);
  AliveRef ref = alive();  // first: it holds the bucket
  gate_.publish(client_, alive_->publish_bucket, base::ChannelName::check(cmd.channel),
                cmd.binary ? hub::Payload::bytes(std::move(data)) : std::move(data),
                ctx_.loop->now_ms(),
                [alive = std::move(ref), has_id = cmd.has_id,
                 id = cmd.id](base::Result<hub::PublishResult> r) {
                  HeraldSession* self = alive.session();
                  if (!self || self->closing()) return;
                  // A refusal is answered even without an id (an error push), like every
                  // other error; a success needs an id to be worth a reply.
                  if (!r) return self->reply_error(has_id, id, access::outcome_of(r.error()));
                  if (!has_id) return;
                  std::string out;
                  proto::encode_publish_result(out, id, r->offset, r->epoch);
                  self->send_frame(Opcode::text, out);
                  ++self->ctx_.metrics->messages_out;
                });
}

void HeraldSession::op_history(const proto::Command& cmd) {
  std::optional<base::Cursor> since;
  if (cmd.has_since) since = cmd.since;
  size_t limit = cmd.has_limit ? size_t(std::min<uint64_t>(cmd.limit, SIZE_MAX)) : hub::kNoLimit;
  gate_.history(client_, cmd.channel, std::move(since), limit,
                [alive = alive(), has_id = cmd.has_id, id = cmd.id, had_since = cmd.has_since](
                    access::Outcome o, hub::HistoryResult r) {
                  HeraldSession* self = alive.session();
                  if (!self || self->closing()) return;
                  if (o != access::Outcome::ok) return self->reply_error(has_id, id, o);
                  if (!has_id) return;
                  std::vector<proto::PublicationView> views;
                  views.reserve(r.publications.size());
                  for (const hub::PubPtr& p : r.publications)
                    views.push_back({p->offset, p->data.view(), p->binary});
                  std::string out;
                  proto::encode_history_result(out, id, views, r.cursor, had_since, r.recovered);
                  self->send_frame(Opcode::text, out);
                  ++self->ctx_.metrics->messages_out;
                });
}

void HeraldSession::op_presence(const proto::Command& cmd) {
  gate_.presence(
      client_, cmd.channel,
      [alive = alive(), has_id = cmd.has_id, id = cmd.id](access::Outcome o, hub::Presence p) {
        HeraldSession* self = alive.session();
        if (!self || self->closing()) return;
        if (o != access::Outcome::ok) return self->reply_error(has_id, id, o);
        if (!has_id) return;
        std::vector<proto::PresenceView> views;
        views.reserve(p.clients.size());
        for (const hub::PresenceEntry& e : p.clients) views.push_back({e.client, e.user, e.info});
        std::string out;
        proto::encode_presence_result(out, id, p.connections, p.users, views);
        self->send_frame(Opcode::text, out);
        ++self->ctx_.metrics->messages_out;
      });
}

// ---- pushes ----------------------------------------------------------------------------------

namespace {
// The two frames of a publication that connections share.
base::SharedBuffer plain_push(const hub::Publication& pub) {
  return make_push_frame(pub);
}
base::SharedBuffer deflated_push(const hub::Publication& pub) {
  DeflateParams shared;
  shared.enabled = true;
  return make_push_frame(pub, shared);
}
hub::Delivery::Builder builder_of(hub::WireForm shared) {
  return shared == hub::WireForm::ws_frame ? plain_push : deflated_push;
}
}  // namespace

std::optional<hub::WireForm> HeraldSession::shared_form() const {
  const DeflateParams& z = deflate_params();
  // A smaller window than the shared frame's: compressed for this client alone (rare:
  // browsers and the common libraries never ask for server_max_window_bits).
  if (z.enabled && z.server_max_window_bits < 15 && z.server_max_window_bits >= 9)
    return std::nullopt;
  // Every client that agreed compression with a 15-bit window reads the same compressed
  // frame, since the server never keeps context between messages.
  return z.enabled && z.server_max_window_bits == 15 ? hub::WireForm::ws_frame_deflate
                                                     : hub::WireForm::ws_frame;
}

void HeraldSession::deliver(const hub::Delivery& d) {
  if (closing()) return;
  std::optional<hub::WireForm> f = shared_form();
  if (!f) return push(d, own_push_frame(d.pub()));
  // Encode once per loop: the first subscriber builds the frame, the others share it.
  push(d, d.form(*f, builder_of(*f)));
}

base::SharedBuffer HeraldSession::replay_frame(const hub::PubPtr& pub) const {
  std::optional<hub::WireForm> f = shared_form();
  if (!f) return own_push_frame(*pub);
  return hub::ReplayForms::form(pub, *f, builder_of(*f));
}

void HeraldSession::on_stream_reset(std::string_view channel, const hub::Cursor& now) {
  // The engine lost what would continue this channel without a gap (a Redis that came back
  // empty): the same answer a subscribe with the client's cursor would now get.
  if (closing()) return;
  std::string out = "{\"channel\":";
  proto::append_json_string(out, channel);
  out += ",\"recovered\":false,\"cursor\":";
  proto::append_json_string(out, now.str());
  out += '}';
  base::SharedBuffer frame = make_data_frame(Opcode::text, out, deflate_params());
  if (backlog_) {
    backlog_->live_bytes += frame.size();
    backlog_->items.push_back(Queued{nullptr, std::move(frame)});
    return;
  }
  if (conn_.output_full()) return on_slow_consumer();
  conn_.send(std::move(frame));
  ++ctx_.metrics->messages_out;
}

base::SharedBuffer HeraldSession::own_push_frame(const hub::Publication& pub) const {
  return make_push_frame(pub, deflate_params());
}

void HeraldSession::push(const hub::Delivery& d, const base::SharedBuffer& frame) {
  if (backlog_) {
    // Behind a replay, in order. Falling a whole output limit behind meanwhile is slow.
    backlog_->live_bytes += frame.size();
    if (backlog_->live_bytes > ctx_.settings->max_output_bytes) return on_slow_consumer();
    backlog_->items.push_back(Queued{d.pub_ptr(), frame});
    return;
  }
  // The overflow verdict waits for a flush (net::Connection); a burst within one iteration
  // stops at the hard cap so memory stays bounded.
  if (conn_.output_full()) return on_slow_consumer();
  conn_.send(frame);
  ++ctx_.metrics->messages_out;
}

// Why paced: a replay may be larger than max_output_bytes. Queued whole it would sit in memory
// and look like a slow consumer to the flush; half a limit at a time it costs only the
// reader's pace.
void HeraldSession::pump() {
  const size_t budget = ctx_.settings->max_output_bytes / 2;
  while (backlog_ && !closing()) {
    if (conn_.pending_bytes() >= budget) {
      conn_.notify_when_drained();
      return;
    }
    Queued q = std::move(backlog_->items.front());
    backlog_->items.pop_front();
    if (!q.frame.empty()) backlog_->live_bytes -= q.frame.size();
    if (backlog_->items.empty()) backlog_.reset();
    if (q.frame.empty()) {
      conn_.send(replay_frame(q.pub));
    } else {
      conn_.send(q.frame);
    }
    ++ctx_.metrics->messages_out;
  }
}

void HeraldSession::on_drained(net::Connection&) {
  if (backlog_) pump();
}

void HeraldSession::on_slow_consumer() {
  if (closing()) return;
  ++ctx_.metrics->drops;
  gate_.unsubscribe_all(this);
  channels_.clear();
  backlog_.reset();
  // The close frame queues behind what is pending and may never leave; close_with resets the
  // connection when it cannot finish in time. The client recovers by cursor.
  WsSessionBase::on_slow_consumer();
}

// ---- EchoSession -----------------------------------------------------------------------------

EchoSession::EchoSession(http::Context& ctx, net::Connection& conn, DeflateParams deflate)
    : WsSessionBase(ctx, conn, base::Transport::echo, limits_of(*ctx.settings), deflate) {}

void EchoSession::on_message(WsEvent& e) {
  // An echo client that never reads is judged by the connection's output limit (base class);
  // the hard cap bounds what one burst of input can queue before that verdict.
  if (conn_.output_full()) return on_slow_consumer();
  send_frame(e.kind == WsEvent::text ? Opcode::text : Opcode::binary, e.payload);
  ++ctx_.metrics->messages_out;
}

}  // namespace herald::ws
