// PubState: one publisher connection. Paced publishing uses a timerfd (the loop's timer wheel
// ticks every 4 ms, too coarse to spread a rate evenly); "as fast as possible" keeps a fixed
// number of publishes in flight. Every payload carries its send time and a per-channel sequence.
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/time.h"
#include "engine.h"
#include "ws_codec/frame.h"

namespace herald::bench {

namespace {

void atomic_min(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}
void atomic_max(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Shortest tick of the pacing timer: below this, several publishes go out per tick.
constexpr uint64_t kMinTickNs = 200'000;

}  // namespace

class PubState::Pacer final : public loop::IoHandler {
 public:
  Pacer(PubState& pub, double rate) : pub_(pub), rate_(rate) {
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    uint64_t tick = uint64_t(1e9 / rate);
    if (tick < kMinTickNs) tick = kMinTickNs;
    itimerspec its{};
    its.it_interval.tv_sec = time_t(tick / 1'000'000'000u);
    its.it_interval.tv_nsec = long(tick % 1'000'000'000u);
    its.it_value = its.it_interval;
    start_ns_ = base::monotonic_ns();
    timerfd_settime(fd_, 0, &its, nullptr);
    pub_.w_.loop().add(fd_, EPOLLIN, this);
    sent_ = 1;  // the first publish goes at once (PubState::start sends it)
  }
  ~Pacer() { stop(); }
  /// Stops ticking for good. The Pacer itself must outlive the loop iteration: its timerfd
  /// may already sit in this iteration's ready list (the loop keeps a handler pointer per
  /// event), so a stopped Pacer stays allocated and ignores that late event.
  void stop() {
    if (fd_ < 0) return;
    pub_.w_.loop().remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  void on_io(uint32_t) override {
    if (fd_ < 0) return;
    uint64_t expirations;
    if (::read(fd_, &expirations, sizeof expirations) < 0) return;
    // Due by the clock, not by ticks counted: a late wake-up catches up instead of drifting.
    double elapsed = double(base::monotonic_ns() - start_ns_) / 1e9;
    uint64_t due = uint64_t(std::floor(elapsed * rate_)) + 1;
    if (due > sent_) {
      uint64_t n = due - sent_;
      sent_ = due;
      pub_.pump(n);  // may stop this Pacer (the last publish): touch nothing after it
    }
  }

 private:
  PubState& pub_;
  double rate_;
  int fd_ = -1;
  uint64_t start_ns_ = 0;
  uint64_t sent_ = 0;
};

PubState::PubState(Worker& w, int index) : w_(w), index_(index) {}
PubState::~PubState() = default;

void PubState::connect() {
  Shared& sh = w_.shared();
  std::unique_ptr<net::ConnectionHandler> h;
  if (sh.opts->publish_via == "ws" && sh.target == Target::herald) {
    h = make_ws_handler(w_, nullptr, this, "/ws", true);
  } else {
    h = make_http_pub_handler(w_, *this);
  }
  conn_ = w_.dial(std::move(h), /*publisher=*/true);
  if (!conn_) w_.shared().pubs_failed.fetch_add(1);
}

void PubState::on_open(net::Connection& c) {
  if (open_) return;
  open_ = true;
  w_.shared().pubs_ready.fetch_add(1);
}

void PubState::start() {
  if (!conn_ || !open_) {
    exhausted_ = true;
    return finish();
  }
  publishing_ = true;
  const BenchOptions& o = *w_.shared().opts;
  if (o.rate > 0) {
    pacer_ = std::make_unique<Pacer>(*this, o.rate / double(o.publishers));
    pump(1);
  } else {
    pump(uint64_t(kMaxPipeline));
  }
}

void PubState::pump(uint64_t due) {
  const BenchOptions& o = *w_.shared().opts;
  int cap = o.rate > 0 ? kMaxPipeline : std::clamp(o.inflight, 1, kMaxPipeline);
  backlog_ += due;
  while (backlog_ > 0 && inflight_ < cap && !exhausted_) {
    int ch = 0;
    uint64_t seq = 0;
    if (!claim(&ch, &seq)) break;
    send_one(ch, seq);
    --backlog_;
  }
  if (o.rate <= 0) backlog_ = exhausted_ ? 0 : uint64_t(kMaxPipeline);
  if (exhausted_ && inflight_ == 0) finish();
}

bool PubState::claim(int* channel, uint64_t* seq) {
  Shared& sh = w_.shared();
  if (exhausted_) return false;
  uint64_t k = sh.claimed.fetch_add(1, std::memory_order_relaxed);
  if ((sh.opts->messages > 0 && k >= sh.opts->messages) ||
      (sh.opts->messages == 0 && base::monotonic_ns() >= sh.publish_end_ns)) {
    exhausted_ = true;
    return false;
  }
  *channel = int(k % sh.channels.size());
  *seq = sh.channels[size_t(*channel)]->next_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  return true;
}

void PubState::send_one(int ch, uint64_t seq) {
  Shared& sh = w_.shared();
  const std::string& name = sh.channels[size_t(ch)]->name;
  uint64_t now = base::monotonic_ns();
  body_.clear();
  bool ws = sh.opts->publish_via == "ws" && sh.target == Target::herald;
  if (sh.target == Target::nchan) {
    append_payload(body_, now, seq, size_t(sh.opts->payload));
  } else {
    body_ = ws ? "{\"id\":" + std::to_string(next_id_++) + ",\"op\":\"publish\",\"channel\":\""
               : "{\"channel\":\"";
    body_ += name;
    body_ += "\",\"data\":";
    append_payload(body_, now, seq, size_t(sh.opts->payload));
    body_ += '}';
  }
  if (ws) {
    uint32_t m = w_.next_mask();
    uint8_t key[4];
    std::memcpy(key, &m, 4);
    conn_->send(ws::encode_client_frame(ws::Opcode::text, body_, key));
  } else {
    buf_ = "POST ";
    if (sh.target == Target::nchan) {
      buf_ += "/pub?id=";
      buf_ += name;
    } else {
      buf_ += "/api/publish";
    }
    buf_ += " HTTP/1.1\r\nHost: ";
    buf_ += sh.pub_ep.host;
    buf_ += "\r\nContent-Type: application/json\r\nContent-Length: ";
    buf_ += std::to_string(body_.size());
    buf_ += "\r\n";
    if (!sh.opts->api_key.empty()) {
      buf_ += "Authorization: Bearer ";
      buf_ += sh.opts->api_key;
      buf_ += "\r\n";
    } else {
      buf_ += sh.auth_header;  // a user token publishes within its grants
    }
    buf_ += "\r\n";
    buf_ += body_;
    conn_->send(buf_);
  }
  ++inflight_;
  pending_.push_back({ch, seq});
  atomic_min(sh.first_publish_ns, now);
}

void PubState::on_response(int status, std::string_view body) {
  if (pending_head_ >= pending_.size()) return;  // not ours (a push, a late reply)
  Pending p = pending_[pending_head_++];
  if (pending_head_ == pending_.size()) pending_.clear(), pending_head_ = 0;
  --inflight_;
  Shared& sh = w_.shared();
  Counters& k = w_.counters();
  ChannelState& ch = *sh.channels[size_t(p.channel)];
  uint64_t at = 0;
  bool ok = false;
  if (sh.target == Target::nchan) {
    ok = status == 201 || status == 202;
    at = p.seq;
  } else {
    ok = status == 200 && body.find("\"error\"") == std::string_view::npos &&
         scan_uint(body, "\"offset\":", 0, &at) != std::string_view::npos;
  }
  if (ok) {
    ++k.published;
    atomic_min(ch.first, at);
    atomic_max(ch.last, at);
    ch.acked.fetch_add(1, std::memory_order_relaxed);
  } else {
    ++k.publish_errors;
    k.error("publish answered " + std::to_string(status) + ": " + std::string(body.substr(0, 200)));
  }
  atomic_max(sh.last_publish_ns, base::monotonic_ns());
  if (publishing_) pump(0);
}

void PubState::on_closed(net::Connection& c, std::error_code ec) {
  if (ec == std::errc::connection_refused) w_.shared().refused.fetch_add(1);
  if (&c != conn_) return;
  conn_ = nullptr;
  if (!open_) w_.shared().pubs_failed.fetch_add(1);
  if (!open_ && is_tls_error(ec)) w_.counters().error("publisher: " + ec.message());
  if (done_ || w_.shared().stopping.load()) return;
  if (publishing_) {
    w_.shared().pubs_lost.fetch_add(1);
    w_.counters().publish_errors += uint64_t(inflight_);
    w_.counters().error(ec ? "publisher connection closed: " + ec.message()
                           : std::string("publisher connection closed by the server"));
  }
  inflight_ = 0;
  exhausted_ = true;
  if (publishing_) finish();
}

void PubState::finish() {
  if (done_) return;
  done_ = true;
  publishing_ = false;
  // Stopped, not freed: finish() runs from a connection's or the Pacer's own callback, and
  // the Pacer's timerfd event may still be pending in this loop iteration (freeing it here
  // was a use-after-free that crashed paced runs whose server lagged behind the pace).
  if (pacer_) pacer_->stop();
  w_.shared().pubs_done.fetch_add(1);
}

void PubState::shutdown() {
  if (pacer_) pacer_->stop();
  done_ = true;
  if (conn_) conn_->close();  // conn_ is cleared by on_closed
}

}  // namespace herald::bench
