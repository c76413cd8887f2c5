// The client loop's own work: dialling the target (from the publishers' namespace in the lab,
// over TLS for https:// and wss:// URLs), counting the bytes of open connections, and the
// graceful close at the end of a run. The phases that drive the loops are in runner.cpp.
#include "base/time.h"
#include "engine.h"
#include "net/listener.h"
#include "tls/session.h"
#include "tools/netlab/netns.h"
#include "udp_sub.h"

namespace herald::bench {

void Worker::live_bytes(uint64_t* sub_in, uint64_t* sub_out, uint64_t* pub_in, uint64_t* pub_out) {
  for (auto& s : subs_) {
    if (net::Connection* c = s->conn())
      *sub_in += c->stats().bytes_in, *sub_out += c->stats().bytes_out;
    if (const UdpSub* u = s->udp())
      *sub_in += u->stats().bytes_received, *sub_out += u->stats().bytes_sent;
  }
  for (auto& p : pubs_) {
    if (net::Connection* c = p->conn())
      *pub_in += c->stats().bytes_in, *pub_out += c->stats().bytes_out;
  }
}

void Worker::stop_when_closed(uint64_t max_ms) {
  if (stop_deadline_ms_ == 0) {
    for (auto& s : subs_) s->shutdown();
    for (auto& p : pubs_) p->shutdown();
    stop_deadline_ms_ = base::monotonic_ms() + max_ms;
  }
  bool open = false;
  for (auto& s : subs_) open = open || s->conn();
  for (auto& p : pubs_) open = open || p->conn();
  if (open && base::monotonic_ms() < stop_deadline_ms_) {
    stop_timer_.start(loop_.timers(), loop::TimerWheel::kTickMs,
                      [this, max_ms] { stop_when_closed(max_ms); });
    return;
  }
  for (auto& s : subs_)
    if (s->conn()) s->conn()->abort();
  for (auto& p : pubs_)
    if (p->conn()) p->conn()->abort();
  loop_.stop();
}

net::Connection* Worker::dial(std::unique_ptr<net::ConnectionHandler> handler, bool publisher) {
  base::Result<int> fd = base::Errc::unavailable;
  if (publisher && shared_.publisher_netns >= 0) {
    // The socket belongs to the namespace it is created in, for life: step in, create, step
    // back (a few microseconds, once per publisher connection).
    netlab::InNetns in(shared_.publisher_netns);
    if (!in.ok()) {
      c_.error("publisher namespace: " + in.error().message());
      return nullptr;
    }
    fd = net::connect_tcp(shared_.publisher_addr);
  } else {
    fd = net::connect_tcp(publisher ? shared_.publisher_addr : shared_.ep.addr);
  }
  if (!fd) {
    c_.error("connect: " + fd.error().message());
    return nullptr;
  }
  auto* c = new net::Connection(loop_, *fd, publisher ? shared_.publisher_addr : shared_.ep.addr,
                                kClientMaxInput);
  if (shared_.ep.tls_context)
    c->use_tls(tls::Session::connect(*shared_.ep.tls_context, shared_.ep.name), net::TlsOptions{});
  c->start(std::move(handler), true);
  return c;
}

bool is_tls_error(std::error_code ec) {
  return ec.category() == tls::tls_category() || ec.category() == tls::verify_category();
}

base::Result<std::shared_ptr<const tls::Context>> client_tls(const BenchOptions& o,
                                                             std::string& why) {
  tls::ClientConfig c;
  c.ca_file = o.cacert;
  auto ctx = tls::Context::client(c, why);
  if (!ctx.ok()) why = "--cacert: " + why;
  return ctx;
}

}  // namespace herald::bench
