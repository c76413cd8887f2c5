#pragma once
// The UDP datagram transport on one loop (docs/protocol.md "UDP datagrams", docs/design.md
// "UDP"): one socket per loop bound with SO_REUSEPORT on the port number of server.listen, so
// the kernel spreads client addresses over the loops and each client's datagrams land on one
// loop for as long as its address and port stay the same.
//
// What a datagram may cause, in order of trust:
//   - anything that does not decode, or is longer than udp.max_datagram: dropped, counted;
//   - from an address without a lease (unvalidated): only an answer no larger than the
//     datagram itself: a cookie for a hello (or an open whose cookie is stale or forged), a
//     reset for a request naming a session the address has no lease for. No state is kept;
//   - an open that echoes a valid cookie: a lease (within udp.max_leases, per IP and per user
//     limits), for the identity of its token (access::Gate::authenticate) or anonymous;
//   - from the lease's address with its session: subscribe, unsubscribe, resend, publish,
//     keepalive, close; each renews the lease. Subscribe, resend and publish go through the
//     access gate, and refusals are answered from the outcome table (access::answer).
// Publications reach a lease as the hub's Subscriber; the datagram is encoded once per loop
// (hub::WireForm::udp_datagram) and queued in the Outbox, which phase 7 flushes with sendmmsg.
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "access/conn_log.h"
#include "access/gate.h"
#include "base/intrusive_list.h"
#include "base/metrics.h"
#include "base/settings.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/udp_socket.h"
#include "udp/admission.h"
#include "udp/cookie.h"
#include "udp/lease.h"
#include "udp/outbox.h"
#include "udp_codec/datagram.h"

namespace herald::udp {

class Transport final : public loop::IoHandler, public loop::Flushable {
 public:
  /// Everything passed outlives the transport; `settings` is swapped by set_settings. Use on
  /// `loop`'s thread only (open() may be called before the loop runs).
  Transport(loop::Loop& loop, access::Gate& gate, Admission& admission, const CookieSecret& secret,
            base::Metrics& metrics, const base::Settings* settings);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Binds the loop's socket on `addr` (SO_REUSEPORT) and starts reading. Returns the bound
  /// address.
  base::Result<net::Address> open(const net::Address& addr);
  void set_settings(const base::Settings* s) { settings_ = s; }
  /// SIGTERM: every lease is told 503 and dropped; new opens are refused with 503.
  void begin_drain();
  /// Drops every lease and closes the socket.
  void close();
  size_t leases() const { return leases_.size(); }

  /// A live publication for `lease` (Lease::deliver).
  void deliver(Lease& lease, const hub::Delivery& d);

 private:
  void on_io(uint32_t events) override;
  void flush() override;

  void on_datagram(std::string_view bytes, const net::Address& from);
  void on_hello(const udp_codec::Message& m, const net::Address& from, size_t size);
  void on_open(const udp_codec::Message& m, const net::Address& from, const Endpoint& ep,
               size_t size);
  void on_subscribe(Lease& l, const udp_codec::Message& m);
  void on_resend(Lease& l, const udp_codec::Message& m);
  void on_publish(Lease& l, const udp_codec::Message& m);
  /// Answers a subscribe for a channel the lease already has (its reply was lost and the
  /// client asked again) like a resend from the request's cursor.
  void resubscribe(Lease& l, uint32_t id, std::string channel, std::optional<base::Cursor> since);

  /// The lease of `ep` if its session is `session`.
  Lease* find(const Endpoint& ep, uint64_t session);
  void renew(Lease& l);
  /// Ends a lease: unsubscribes it everywhere, releases its admission, logs conn_close with
  /// `why`, frees it.
  void drop(Lease& l, access::CloseReason why);
  /// Drops leases not renewed within udp.lease_ms and leases whose token expired.
  void sweep();

  /// Queues `m` to a validated address (a lease's, or an open's with a valid cookie); the
  /// session is stamped when it leaves.
  void send(const net::Address& to, uint64_t session, const udp_codec::Message& m);
  void send(Lease& l, const udp_codec::Message& m);
  /// `m` as a datagram (the session is stamped when it leaves).
  static base::SharedBuffer encode(const udp_codec::Message& m);
  /// Queues the datagram `b` to `l` (counted in its bytes_out); false when the outbox is full.
  bool queue(Lease& l, base::SharedBuffer b);
  /// Queues `m` to an address that has not proven it receives: only when `m` is no larger
  /// than the datagram that caused it (no amplification); otherwise nothing is sent.
  void send_unvalidated(const net::Address& to, const udp_codec::Message& m, size_t request_size);
  /// An error datagram with the outcome's row of the access table (status and message).
  void send_error(const net::Address& to, uint64_t session, uint32_t id, access::Outcome o);
  void send_error(Lease& l, uint32_t id, access::Outcome o) { send(l, error_message(id, o)); }
  static udp_codec::Message error_message(uint32_t id, access::Outcome o);
  /// Sends one publication (a replay or a resend) to `l`.
  void send_publication(Lease& l, const hub::PubPtr& p);
  // The `subscribed` reply (where the stream stands, whether the cursor was recovered), then
  // `replay` in order.
  void send_subscribed(Lease& l, uint32_t id, const std::string& channel,
                       const base::Cursor& cursor, bool had_since, bool recovered,
                       const std::vector<hub::PubPtr>& replay);
  /// The datagram of `p`: a pub, or an announce when a pub would exceed udp.max_datagram.
  base::SharedBuffer encode_publication(const hub::Publication& p);
  void drop_in(base::UdpDrop why) { ++metrics_.udp.dropped[int(why)]; }

  struct TokenExpiry {
    int64_t at_sec;
    Endpoint ep;
    uint64_t session;
    bool operator>(const TokenExpiry& o) const { return at_sec > o.at_sec; }
  };

  loop::Loop& loop_;
  access::Gate& gate_;
  Admission& admission_;
  base::Metrics& metrics_;
  const base::Settings* settings_;
  CookieJar cookies_;
  net::UdpSocket socket_;
  std::unique_ptr<net::RecvBatch> recv_;
  Outbox outbox_;
  bool out_armed_ = false;
  bool draining_ = false;
  std::unordered_map<Endpoint, Lease, EndpointHash> leases_;
  base::IntrusiveList<Lease, &Lease::renewal, base::Ends::head_and_tail> by_renewal_;
  std::priority_queue<TokenExpiry, std::vector<TokenExpiry>, std::greater<TokenExpiry>> expiries_;
  loop::Timer sweep_timer_;
  std::string scratch_;
};

}  // namespace herald::udp
