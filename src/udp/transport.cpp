#include "udp/transport.h"

#include <cstring>

#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "hub/replay_forms.h"
#include "proto/json.h"

namespace herald::udp {

namespace {

using udp_codec::Message;
using udp_codec::Type;

uint64_t unix_sec() {
  return base::wall_us() / 1'000'000u;
}

}  // namespace

// ---- Lease ----------------------------------------------------------------------------------

void Lease::deliver(const hub::Delivery& d) {
  transport->deliver(*this, d);
}

// ---- lifetime -------------------------------------------------------------------------------

Transport::Transport(loop::Loop& loop, access::Gate& gate, Admission& admission,
                     const CookieSecret& secret, base::Metrics& metrics,
                     const base::Settings* settings)
    : loop_(loop),
      gate_(gate),
      admission_(admission),
      metrics_(metrics),
      settings_(settings),
      cookies_(secret),
      outbox_(metrics.udp) {}

Transport::~Transport() {
  close();
}

base::Result<net::Address> Transport::open(const net::Address& addr) {
  auto s = net::UdpSocket::bind(addr, /*reuse_port=*/true, base::limits::kUdpSocketBuffer);
  if (!s.ok()) return s.error();
  socket_ = std::move(s.value());
  loop_.add(socket_.fd(), EPOLLIN, this);
  sweep_timer_.start(loop_.timers(), base::limits::kUdpSweepMs, [this] { sweep(); });
  return socket_.local();
}

void Transport::begin_drain() {
  draining_ = true;
  // Every lease is told to go (503) and dropped; clients open again, elsewhere or later.
  while (Lease* oldest = by_renewal_.front()) {
    Lease& l = *oldest;
    send_error(l, 0, access::Outcome::unavailable);
    drop(l, access::CloseReason::drain);
  }
}

void Transport::close() {
  sweep_timer_.stop();
  while (Lease* oldest = by_renewal_.front()) drop(*oldest, access::CloseReason::server_closed);
  if (socket_.is_open()) {
    loop_.remove(socket_.fd());
    socket_.close();
  }
  outbox_.clear();
}

// ---- reading --------------------------------------------------------------------------------

void Transport::on_io(uint32_t events) {
  if (events & EPOLLOUT) loop_.request_flush(this);
  if (!(events & (EPOLLIN | EPOLLERR))) return;
  // One byte more than the largest datagram accepted: a datagram that fills its slot is
  // longer than the limit (recvmmsg reports it truncated).
  size_t slot = settings_->udp_max_datagram + 1;
  if (!recv_ || recv_->slot_bytes() != slot)
    recv_ = std::make_unique<net::RecvBatch>(base::limits::kUdpRecvBatch, slot);
  // A bounded number of batches per wake-up: the socket stays readable (level-triggered) and
  // the loop serves its other fds and timers in between.
  for (size_t b = 0; b < base::limits::kUdpReadBatchesPerWake; ++b) {
    size_t n = recv_->recv(socket_.fd());
    for (size_t i = 0; i < n; ++i) {
      const net::RecvBatch::Datagram& d = (*recv_)[i];
      ++metrics_.udp.datagrams_in;
      metrics_.udp.bytes_in += d.size;
      if (d.truncated || d.size > settings_->udp_max_datagram) {
        drop_in(base::UdpDrop::oversize);
        continue;
      }
      on_datagram(d.bytes, d.from);
    }
    if (n < base::limits::kUdpRecvBatch) break;
  }
}

void Transport::on_datagram(std::string_view bytes, const net::Address& from) {
  Message m;
  if (udp_codec::decode(bytes, &m) != udp_codec::DecodeError::ok ||
      !udp_codec::from_client(m.type)) {
    drop_in(base::UdpDrop::malformed);
    return;
  }
  Endpoint ep = Endpoint(from);
  if (m.type == Type::hello) return on_hello(m, from, bytes.size());
  if (m.type == Type::open) return on_open(m, from, ep, bytes.size());
  Lease* l = find(ep, m.session);
  if (!l) {
    // Not a lease of this address (expired, never opened, the server restarted, or the
    // client's port changed and its datagrams now reach another loop): a reset, no larger than
    // the request, tells the client to open again. A close needs no answer.
    drop_in(base::UdpDrop::unknown_session);
    if (m.type == Type::close) return;
    Message reset;
    reset.type = Type::reset;
    reset.session = m.session;
    ++metrics_.udp.resets;
    return send_unvalidated(from, reset, bytes.size());
  }
  ++metrics_.messages_in;
  l->bytes_in += bytes.size();
  renew(*l);
  switch (m.type) {
    case Type::subscribe:
      return on_subscribe(*l, m);
    case Type::unsubscribe: {
      gate_.unsubscribe(l, m.channel);
      Message ok;
      ok.type = Type::ok;
      ok.id = m.id;
      return send(*l, ok);
    }
    case Type::keepalive: {
      Message lease;
      lease.type = Type::lease;
      lease.id = m.id;
      lease.lease_ms = settings_->udp_lease_ms;
      return send(*l, lease);
    }
    case Type::resend:
      return on_resend(*l, m);
    case Type::publish:
      return on_publish(*l, m);
    case Type::close:
      return drop(*l, access::CloseReason::client_closed);
    default:
      return;
  }
}

// ---- address validation and leases ----------------------------------------------------------

void Transport::on_hello(const Message& m, const net::Address& from, size_t size) {
  Message c;
  c.type = Type::cookie;
  c.session = m.session;
  c.cookie = cookies_.make(from, m.session, unix_sec());
  ++metrics_.udp.cookies;
  send_unvalidated(from, c, size);
}

void Transport::on_open(const Message& m, const net::Address& from, const Endpoint& ep,
                        size_t size) {
  const base::Settings& s = *settings_;
  auto it = leases_.find(ep);
  Message opened;
  opened.type = Type::opened;
  opened.lease_ms = s.udp_lease_ms;
  opened.max_datagram = uint16_t(s.udp_max_datagram);
  if (it != leases_.end() && it->second.session == m.session) {
    // A repeated open (its answer was lost): the same lease, unchanged.
    renew(it->second);
    return send(it->second, opened);
  }
  if (!cookies_.check(m.cookie, from, m.session, unix_sec())) {
    // Stale (older than two windows), forged, or made for another address, port or session:
    // no state; a fresh cookie lets a real client retry at once, and is never larger than
    // this request.
    drop_in(base::UdpDrop::bad_cookie);
    Message c;
    c.type = Type::cookie;
    c.session = m.session;
    c.cookie = cookies_.make(from, m.session, unix_sec());
    ++metrics_.udp.cookies;
    return send_unvalidated(from, c, size);
  }
  // The address proved it receives: from here on answers may be larger than the request.
  if (draining_) return send_error(from, m.session, 0, access::Outcome::unavailable);
  access::IdentityPtr id;
  if (!m.token.empty()) {
    access::Outcome o = gate_.authenticate(m.token, from.to_string(), &id);
    if (o != access::Outcome::ok) return send_error(from, m.session, 0, o);
  }
  // An open from an address that has a lease with another session: the client restarted on
  // the same port. Its old lease ends.
  if (it != leases_.end()) drop(it->second, access::CloseReason::client_closed);
  if (!admission_.acquire(from, s.udp_max_leases, s.udp_max_leases_per_ip)) {
    ++metrics_.udp.leases_refused;
    return send_error(from, m.session, 0, access::Outcome::limit_reached);
  }
  if (!gate_.admit_user(id.get())) {
    admission_.release(from);
    ++metrics_.udp.leases_refused;
    return send_error(from, m.session, 0, access::Outcome::limit_reached);
  }
  Lease& l = leases_.try_emplace(ep).first->second;
  l.transport = this;
  l.session = m.session;
  l.addr = from;
  l.client.identity = std::move(id);
  l.client.loopback = from.is_loopback();
  l.client.udp = true;
  l.client.address = ep;
  l.client.transport = access::ClientTransport::udp;
  l.renewed_ms = loop_.now_ms();
  l.opened_ms = l.renewed_ms;
  l.bytes_in = size;
  by_renewal_.push_back(l);
  if (l.client.identity && l.client.identity->expires_at > 0)
    expiries_.push(TokenExpiry{l.client.identity->expires_at, ep, l.session});
  ++metrics_.udp.leases_opened;
  ++metrics_.connections_open[int(base::Transport::udp)];
  access::log_conn_open(l.client, base::Transport::udp);
  send(l, opened);
}

Lease* Transport::find(const Endpoint& ep, uint64_t session) {
  auto it = leases_.find(ep);
  if (it == leases_.end() || it->second.session != session) return nullptr;
  return &it->second;
}

void Transport::renew(Lease& l) {
  l.renewed_ms = loop_.now_ms();
  if (by_renewal_.back() == &l) return;
  by_renewal_.erase(l);
  by_renewal_.push_back(l);
}

void Transport::drop(Lease& l, access::CloseReason why) {
  access::log_conn_close(l.client, base::Transport::udp, why, loop_.now_ms() - l.opened_ms,
                         l.bytes_in, l.bytes_out);
  // After unsubscribe_all no hub callback names this lease; the resend and publish callbacks
  // look their lease up again by address and session.
  gate_.unsubscribe_all(&l);
  gate_.release_user(l.client.identity.get());
  admission_.release(l.addr);
  if (by_renewal_.contains(l)) by_renewal_.erase(l);
  --metrics_.connections_open[int(base::Transport::udp)];
  Endpoint key = l.key();  // a copy: `l`, and the key inside it, go with the erase
  leases_.erase(key);
}

void Transport::sweep() {
  uint64_t now = loop_.now_ms();
  uint64_t lease_ms = settings_->udp_lease_ms;
  while (Lease* oldest = by_renewal_.front()) {
    if (now - oldest->renewed_ms < lease_ms) break;
    ++metrics_.udp.leases_expired;
    drop(*oldest, access::CloseReason::heartbeat_timeout);
  }
  int64_t now_sec = int64_t(unix_sec());
  while (!expiries_.empty() && expiries_.top().at_sec <= now_sec) {
    TokenExpiry e = expiries_.top();
    expiries_.pop();
    Lease* l = find(e.ep, e.session);
    if (!l || !l->client.identity || l->client.identity->expires_at != e.at_sec) continue;
    ++metrics_.tokens_expired_live;
    ++metrics_.udp.leases_expired;
    send_error(*l, 0, access::Outcome::token_expired);
    drop(*l, access::CloseReason::token_expired);
  }
  sweep_timer_.restart(base::limits::kUdpSweepMs);
}

// ---- requests on a lease --------------------------------------------------------------------

void Transport::on_subscribe(Lease& l, const Message& m) {
  std::optional<base::Cursor> since;
  if (!m.epoch.empty()) since = base::Cursor{std::string(m.epoch), m.offset};
  if (gate_.subscriptions(&l) >= settings_->max_subscriptions)
    return send_error(l, m.id, access::Outcome::too_many_subscriptions);
  std::string channel(m.channel);
  uint32_t id = m.id;
  bool had_since = since.has_value();
  // The gate never runs this callback once the lease is unsubscribed (drop() does that first),
  // so `lp` is valid whenever it runs.
  Lease* lp = &l;
  gate_.subscribe(
      l.client, lp, channel, since,
      [this, lp, id, had_since, channel, since](access::Outcome o, hub::SubscribeResult r) {
        if (o == access::Outcome::already_subscribed) return resubscribe(*lp, id, channel, since);
        if (o != access::Outcome::ok) return send_error(*lp, id, o);
        if (had_since) {
          if (r.recovered)
            ++metrics_.recoveries_ok;
          else
            ++metrics_.recoveries_failed;
        }
        // The replay follows the reply; live publications follow the replay (the hub holds
        // them until this callback returns).
        send_subscribed(*lp, id, channel, r.cursor, had_since, r.recovered, r.replay);
      });
}

void Transport::send_subscribed(Lease& l, uint32_t id, const std::string& channel,
                                const base::Cursor& cursor, bool had_since, bool recovered,
                                const std::vector<hub::PubPtr>& replay) {
  Message reply;
  reply.type = Type::subscribed;
  reply.id = id;
  reply.channel = channel;
  reply.epoch = cursor.epoch;
  reply.offset = cursor.offset;
  reply.flags =
      (had_since ? udp_codec::kFlagHadSince : 0) | (recovered ? udp_codec::kFlagRecovered : 0);
  send(l, reply);
  for (const hub::PubPtr& p : replay) send_publication(l, p);
}

void Transport::resubscribe(Lease& l, uint32_t id, std::string channel,
                            std::optional<base::Cursor> since) {
  Endpoint ep = l.key();
  uint64_t session = l.session;
  bool had_since = since.has_value();
  gate_.catch_up(
      l.client, channel, since, had_since ? size_t(udp_codec::kMaxResendCount) : 0,
      [this, ep, session, id, had_since, channel](access::Outcome o, hub::HistoryResult r) {
        Lease* lp = find(ep, session);
        if (!lp) return;
        if (o != access::Outcome::ok) return send_error(*lp, id, o);
        send_subscribed(*lp, id, channel, r.cursor, had_since, r.recovered, r.publications);
      });
}

void Transport::on_resend(Lease& l, const Message& m) {
  Endpoint ep = l.key();
  uint64_t session = l.session;
  uint32_t id = m.id;
  std::string channel(m.channel);
  gate_.catch_up(l.client, channel, base::Cursor{std::string(m.epoch), m.offset}, m.count,
                 [this, ep, session, id, channel](access::Outcome o, hub::HistoryResult r) {
                   Lease* lp = find(ep, session);
                   if (!lp) return;
                   if (o != access::Outcome::ok) return send_error(*lp, id, o);
                   for (const hub::PubPtr& p : r.publications) send_publication(*lp, p);
                   metrics_.udp.resent += r.publications.size();
                   // The end of the answer and where the stream stands: a client that still lacks
                   // offsets up to this cursor asks again (or reads them over HTTP).
                   Message done;
                   done.type = Type::resent;
                   done.id = id;
                   done.channel = channel;
                   done.epoch = r.cursor.epoch;
                   done.offset = r.cursor.offset;
                   done.flags =
                       udp_codec::kFlagHadSince | (r.recovered ? udp_codec::kFlagRecovered : 0);
                   send(*lp, done);
                 });
}

void Transport::on_publish(Lease& l, const Message& m) {
  hub::Payload payload;
  if (m.binary) {
    payload = hub::Payload::bytes(base::SharedBuffer::copy_of(m.data));
  } else {
    scratch_.clear();
    if (!proto::minify_json(m.data, &scratch_))
      return send_error(l, m.id, access::Outcome::bad_request);
    payload = base::SharedBuffer::copy_of(scratch_);
  }
  Endpoint ep = l.key();
  uint64_t session = l.session;
  uint32_t id = m.id;
  gate_.publish(l.client, l.publish_bucket, base::ChannelName::check(m.channel), std::move(payload),
                loop_.now_ms(), [this, ep, session, id](base::Result<hub::PublishResult> r) {
                  Lease* lp = find(ep, session);
                  if (!lp) return;
                  if (!r) return send_error(*lp, id, access::outcome_of(r.error()));
                  Message done;
                  done.type = Type::published;
                  done.id = id;
                  done.epoch = r->epoch;
                  done.offset = r->offset;
                  send(*lp, done);
                });
}

// ---- writing --------------------------------------------------------------------------------

void Transport::deliver(Lease& l, const hub::Delivery& d) {
  const base::SharedBuffer& b =
      d.form(hub::WireForm::udp_datagram,
             [this](const hub::Publication& p) { return encode_publication(p); });
  if (queue(l, b)) ++metrics_.messages_out;
}

base::SharedBuffer Transport::encode_publication(const hub::Publication& p) {
  Message m;
  m.type = Type::pub;
  m.channel = p.channel;
  m.epoch = p.epoch;
  m.offset = p.offset;
  m.data = p.data.view();
  m.binary = p.binary;
  if (udp_codec::encoded_size(m) > settings_->udp_max_datagram) {
    m.type = Type::announce;
    m.size = uint32_t(p.data.size());
    m.data = {};
    ++metrics_.udp.announced;
  }
  return encode(m);
}

void Transport::send_publication(Lease& l, const hub::PubPtr& p) {
  // A replay's datagram is shared with the leases of this loop that replay it together.
  auto build = [this](const hub::Publication& pub) { return encode_publication(pub); };
  if (queue(l, hub::ReplayForms::form(p, hub::WireForm::udp_datagram, build)))
    ++metrics_.messages_out;
}

bool Transport::queue(Lease& l, base::SharedBuffer b) {
  size_t n = b.size();
  bool queued = outbox_.push(l.addr, l.session, std::move(b));
  if (queued) l.bytes_out += n;
  loop_.request_flush(this);
  return queued;
}

base::SharedBuffer Transport::encode(const Message& m) {
  char* out = nullptr;
  base::SharedBuffer b = base::SharedBuffer::allocate(udp_codec::encoded_size(m), &out);
  udp_codec::encode_to(m, out);
  return b;
}

void Transport::send(Lease& l, const Message& m) {
  queue(l, encode(m));
}

void Transport::send(const net::Address& to, uint64_t session, const Message& m) {
  outbox_.push(to, session, encode(m));
  loop_.request_flush(this);
}

void Transport::send_unvalidated(const net::Address& to, const Message& m, size_t request_size) {
  if (udp_codec::encoded_size(m) > request_size)
    return;  // by construction never: cookie <= hello, reset <= anything
  outbox_.push(to, m.session, encode(m));
  loop_.request_flush(this);
}

void Transport::send_error(const net::Address& to, uint64_t session, uint32_t id,
                           access::Outcome o) {
  send(to, session, error_message(id, o));
}

Message Transport::error_message(uint32_t id, access::Outcome o) {
  const access::Answer& a = access::answer(o);
  Message e;
  e.type = Type::error;
  e.id = id;
  e.code = uint16_t(a.status);
  e.message = a.message;
  return e;
}

void Transport::flush() {
  if (!socket_.is_open()) return outbox_.clear();
  bool done = outbox_.flush(socket_.fd());
  if (done == !out_armed_) return;
  out_armed_ = !done;
  loop_.modify(socket_.fd(), done ? EPOLLIN : EPOLLIN | EPOLLOUT, this);
}

}  // namespace herald::udp
