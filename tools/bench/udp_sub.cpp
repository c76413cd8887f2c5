#include "udp_sub.h"

#include <random>

#include "base/time.h"
#include "engine.h"

namespace herald::bench {

namespace {

uint64_t random_session() {
  std::random_device rd;
  uint64_t s = (uint64_t(rd()) << 32) | rd();
  return s | 1;  // never 0
}

}  // namespace

UdpSub::UdpSub(Worker& w, SubState& sub, const std::string& channel)
    : w_(w),
      sub_(sub),
      session_(random_session(), w.shared().opts->token, {{channel, "", 0}}, *this) {}

UdpSub::~UdpSub() {
  stop();
}

bool UdpSub::start() {
  auto s = net::UdpSocket::connect(w_.shared().ep.addr, kUdpClientBufferBytes);
  if (!s.ok()) {
    w_.counters().error("udp socket: " + s.error().message());
    return false;
  }
  sock_ = std::move(s.value());
  w_.loop().add(sock_.fd(), EPOLLIN, this);
  registered_ = true;
  session_.start(base::monotonic_ms());
  timer_.start(w_.loop().timers(), kUdpTickMs, [this] { tick(); });
  return true;
}

void UdpSub::stop() {
  timer_.stop();
  if (!sock_.is_open()) return;
  session_.close();
  if (registered_) w_.loop().remove(sock_.fd());
  registered_ = false;
  sock_.close();
}

void UdpSub::tick() {
  session_.tick(base::monotonic_ms());
  sub_.udp_progress();  // a skip past what history lost moves the prefix too
  timer_.restart(kUdpTickMs);
}

void UdpSub::on_io(uint32_t) {
  net::RecvBatch& rx = w_.udp_rx();
  while (sock_.is_open()) {
    size_t n = rx.recv(sock_.fd());
    if (n == 0) return;
    now_ns_ = base::monotonic_ns();
    uint64_t now_ms = now_ns_ / 1'000'000u;
    for (size_t i = 0; i < n && sock_.is_open(); ++i) {
      if (rx[i].truncated) continue;  // larger than any datagram herald sends
      session_.on_datagram(rx[i].bytes, now_ms);
    }
    sub_.udp_progress();  // a resent cursor or a fill may have moved the prefix
  }
}

void UdpSub::send(std::string_view datagram) {
  // A send refused (a full buffer) is a lost datagram: the session asks again on its timers.
  if (sock_.is_open()) sock_.send(datagram);
}

void UdpSub::on_subscribed(size_t, std::string_view, uint64_t, uint8_t) {
  sub_.on_ready(base::monotonic_ns());
}

void UdpSub::on_publication(size_t, std::string_view, uint64_t offset, std::string_view data,
                            bool) {
  Delivered d;
  if (extract_delivered(data, 0, &d) == std::string_view::npos) return;  // not a bench message
  d.offset = offset;
  d.has_offset = true;
  sub_.on_message(d, now_ns_);
}

void UdpSub::on_announce(size_t, std::string_view epoch, uint64_t offset, uint32_t, bool) {
  sub_.fetch_announced(epoch, offset);
}

void UdpSub::on_lost(size_t, std::string_view, uint64_t, uint64_t, uint64_t count) {
  // Like a recovered:false answer on the other transports: a measured limit, not a fault.
  ++w_.counters().unrecovered;
  w_.counters().unrecovered_messages += count;
}

void UdpSub::on_error(size_t, uint16_t code, std::string_view message) {
  sub_.on_failure("udp error " + std::to_string(code) + " " + std::string(message));
}

}  // namespace herald::bench

namespace herald::bench {

net::RecvBatch& Worker::udp_rx() {
  if (!udp_rx_)
    udp_rx_ = std::make_unique<net::RecvBatch>(kUdpRecvSlots, udp_codec::kMaxDatagramBytes);
  return *udp_rx_;
}

}  // namespace herald::bench
