#include "relay.h"

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/time.h"

namespace herald::netlab {

namespace {

// Bytes read per packet at most: the MTU plus room, so an oversized packet is seen as such
// (truncated reads are dropped, never forwarded cut).
constexpr size_t kPacketBuffer = kLabMtu + 256;
// Buffers kept for reuse; beyond it they are freed.
constexpr size_t kMaxSpare = 4096;
constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17;

double thread_cpu_s(std::thread& t) {
  clockid_t cid;
  if (pthread_getcpuclockid(t.native_handle(), &cid) != 0) return 0;
  timespec ts{};
  if (clock_gettime(cid, &ts) != 0) return 0;
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

}  // namespace

void DirectionStats::merge(const DirectionStats& o) {
  packets += o.packets, bytes += o.bytes;
  delivered_packets += o.delivered_packets, delivered_bytes += o.delivered_bytes;
  lost += o.lost, queue_drops += o.queue_drops, other_drops += o.other_drops;
  tcp += o.tcp, udp += o.udp;
  lateness_ns.merge(o.lateness_ns);
  queued_ns.merge(o.queued_ns);
}

void RelayStats::merge(const RelayStats& o) {
  to_server.merge(o.to_server);
  to_client.merge(o.to_client);
  cpu_s += o.cpu_s;
  wall_s += o.wall_s;
}

Relay::Relay(int server_tun, int client_tun, const Condition& c, uint64_t seed)
    : dirs_{{client_tun, server_tun, Impairer(c, seed, 0), {}, {}},
            {server_tun, client_tun, Impairer(c, seed, 1), {}, {}}},
      condition_(c) {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0) return;
  for (int fd : {server_tun, client_tun, wake_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) return;
  }
  window_start_ns_ = base::monotonic_ns();
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

Relay::~Relay() {
  if (thread_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    (void)::write(wake_, &one, sizeof one);
    thread_.join();
  }
  if (epoll_ >= 0) ::close(epoll_);
  if (wake_ >= 0) ::close(wake_);
}

void Relay::set_condition(const Condition& c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    condition_ = c;
    pending_ = true;
  }
  uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
}

Condition Relay::condition() const {
  std::lock_guard<std::mutex> lock(mu_);
  return condition_;
}

RelayStats Relay::take() {
  double cpu = running_ ? thread_cpu_s(thread_) : 0;
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t now = base::monotonic_ns();
  RelayStats s;
  s.to_server = std::move(dirs_[0].stats);
  s.to_client = std::move(dirs_[1].stats);
  dirs_[0].stats = DirectionStats{};
  dirs_[1].stats = DirectionStats{};
  s.cpu_s = cpu - cpu_at_window_;
  s.wall_s = double(now - window_start_ns_) / 1e9;
  cpu_at_window_ = cpu;
  window_start_ns_ = now;
  return s;
}

uint64_t Relay::next_due() const {
  uint64_t due = UINT64_MAX;
  for (const Direction& d : dirs_)
    if (!d.held.empty() && d.held.front().due_ns < due) due = d.held.front().due_ns;
  return due;
}

void Relay::run() {
  // Sleeps end within a microsecond of the due time instead of the default 50 us slack.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  // The relay stands for the network, which does not wait for the hosts' CPUs: at the lowest
  // real-time priority it runs as soon as a packet is due instead of queueing behind the
  // server and the clients it measures (their CPU contention would otherwise show up as link
  // delay). Its work per packet is small, and the kernel's real-time throttling keeps 5% of
  // every second for everyone else even if it spun. Without the right to do so it runs as a
  // normal thread and says so in realtime().
  sched_param sp{};
  sp.sched_priority = kRelayPriority;
  realtime_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
  epoll_event evs[4];
  while (!stop_.load(std::memory_order_relaxed)) {
    uint64_t due = next_due();
    timespec ts{};
    timespec* timeout = nullptr;
    if (due != UINT64_MAX) {
      uint64_t now = base::monotonic_ns();
      uint64_t wait = due > now ? due - now : 0;
      ts.tv_sec = time_t(wait / 1'000'000'000u);
      ts.tv_nsec = long(wait % 1'000'000'000u);
      timeout = &ts;
    }
    int n = ::epoll_pwait2(epoll_, evs, 4, timeout, nullptr);
    if (n < 0 && errno != EINTR) break;
    uint64_t now = base::monotonic_ns();
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_) {
      for (Direction& d : dirs_) d.impairer.set_condition(condition_);
      pending_ = false;
    }
    for (int i = 0; i < n; ++i) {
      int fd = evs[i].data.fd;
      if (fd == wake_) {
        uint64_t v;
        (void)::read(wake_, &v, sizeof v);
        continue;
      }
      for (Direction& d : dirs_)
        if (d.from == fd) read_side(d, now);
    }
    for (Direction& d : dirs_) flush(d, base::monotonic_ns());
  }
}

void Relay::read_side(Direction& d, uint64_t now) {
  for (int i = 0; i < kReadBudget; ++i) {
    std::vector<uint8_t> buf;
    if (!spare_.empty()) {
      buf = std::move(spare_.back());
      spare_.pop_back();
    }
    buf.resize(kPacketBuffer);
    ssize_t n = ::read(d.from, buf.data(), buf.size());
    if (n < 0) {
      if (spare_.size() < kMaxSpare) spare_.push_back(std::move(buf));
      return;  // EAGAIN: drained (any other error: nothing more to read now either)
    }
    auto recycle = [&] {
      if (spare_.size() < kMaxSpare) spare_.push_back(std::move(buf));
    };
    // Only whole IPv4 packets cross the link; IPv6 is off in both ends, so anything else is
    // a packet the lab does not model.
    if (n < 20 || (buf[0] >> 4) != 4 || size_t(n) == buf.size()) {
      ++d.stats.other_drops;
      recycle();
      continue;
    }
    buf.resize(size_t(n));
    ++d.stats.packets;
    d.stats.bytes += uint64_t(n);
    if (buf[9] == kProtoTcp) ++d.stats.tcp;
    if (buf[9] == kProtoUdp) ++d.stats.udp;
    if (d.held.size() >= kMaxHeldPackets) {
      ++d.stats.other_drops;
      recycle();
      continue;
    }
    Fate f = d.impairer.admit(now, size_t(n));
    if (f.kind == Fate::Kind::lost) {
      ++d.stats.lost;
      recycle();
      continue;
    }
    if (f.kind == Fate::Kind::queue_full) {
      ++d.stats.queue_drops;
      recycle();
      continue;
    }
    if (d.impairer.condition().rate_kbps > 0) d.stats.queued_ns.record(f.queued_ns);
    d.held.push_back({f.release_ns, std::move(buf)});
    // Nothing to wait for (an empty condition): out at once, not after the whole batch.
    if (f.release_ns <= now && d.held.size() == 1) flush(d, now);
  }
}

void Relay::flush(Direction& d, uint64_t now) {
  while (!d.held.empty() && d.held.front().due_ns <= now) {
    Packet& p = d.held.front();
    ssize_t w = ::write(d.to, p.bytes.data(), p.bytes.size());
    if (w == ssize_t(p.bytes.size())) {
      ++d.stats.delivered_packets;
      d.stats.delivered_bytes += p.bytes.size();
      d.stats.lateness_ns.record(now - p.due_ns);
    } else {
      ++d.stats.other_drops;
    }
    if (spare_.size() < kMaxSpare) spare_.push_back(std::move(p.bytes));
    d.held.pop_front();
  }
}

}  // namespace herald::netlab
