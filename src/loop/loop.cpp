#include "loop/loop.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/log.h"
#include "base/time.h"

namespace herald::loop {

namespace {
constexpr int kMaxEvents = 256;
// Ready handlers dispatched before the work they queued runs (phases 6 and 7 within phase 3).
// Why: after a restart every client reconnects at once and one wait returns thousands of
// handshakes; run to the end of the batch, each of them holds its subscribe's closures and
// its queued answer on the heap together, and the heap keeps that peak's pages (4,000
// WebSockets at once, interleaved runs: median 528 B per connection once settled, 489 B
// with chunks of 64; docs/benchmarks.md §5). It costs one more flush per 64 busy handlers.
constexpr int kIoChunk = 64;
// Flush rounds per phase 7 with io_uring: a partial write or an on_drained that sends more
// asks for another submit; past this, the rest waits for the next iteration (which then
// does not sleep).
constexpr int kMaxFlushRounds = 8;
}  // namespace

class Loop::WakeHandler final : public IoHandler {
 public:
  explicit WakeHandler(Loop* loop) : loop_(loop) {}
  void on_io(uint32_t) override { loop_->drain_wakeup(); }

 private:
  Loop* loop_;
};

// The ring fd is readable while completions wait: those that the kernel posted after the
// submit returned (a send it could not finish inline) wake the loop here.
class Loop::RingHandler final : public IoHandler {
 public:
  explicit RingHandler(Loop* loop) : loop_(loop) {}
  void on_io(uint32_t) override { loop_->uring_->reap(); }

 private:
  Loop* loop_;
};

class Loop::SignalHandler final : public IoHandler {
 public:
  explicit SignalHandler(Loop* loop) : loop_(loop) {}
  void on_io(uint32_t) override { loop_->handle_signals(); }

 private:
  Loop* loop_;
};

Loop::Loop(int index) : index_(index), events_(kMaxEvents), timers_(base::monotonic_ms()) {
  now_ns_ = base::monotonic_ns();
  // One clock for both: the wheel was built from an earlier read, and a thread preempted in
  // between would otherwise arm its first timers against an older "now" (firing early).
  timers_.set_now(now_ms());
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) {
    HLOG_ERROR("loop %d: epoll/eventfd: %s", index, std::strerror(errno));
    std::abort();
  }
  wake_handler_ = std::make_unique<WakeHandler>(this);
  add(wakefd_, EPOLLIN, wake_handler_.get());
}

Loop::~Loop() {
  if (uring_) {
    // Completions still owed reference their connections and buffers: collect them first.
    uring_->drain();
    remove(uring_->fd());
  }
  reap();
  if (sigfd_ >= 0) close(sigfd_);
  close(wakefd_);
  close(epfd_);
}

bool Loop::enable_io_uring(unsigned entries) {
  if (uring_) return true;
  int err = 0;
  uring_ = Uring::create(entries, &err);
  if (!uring_) {
    HLOG_WARN("loop %d: io_uring unavailable (%s), flushing with writev", index_,
              std::strerror(err));
    return false;
  }
  ring_handler_ = std::make_unique<RingHandler>(this);
  add(uring_->fd(), EPOLLIN, ring_handler_.get());
  HLOG_INFO("loop %d: flushing output through io_uring", index_);
  return true;
}

void Loop::add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    HLOG_ERROR("loop %d: epoll add fd %d: %s", index_, fd, std::strerror(errno));
}

void Loop::modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0)
    HLOG_ERROR("loop %d: epoll mod fd %d: %s", index_, fd, std::strerror(errno));
}

void Loop::remove(int fd) {
  // An event for this fd may still sit in this iteration's ready list; its handler stays
  // alive until phase 8 (deletion is deferred) and ignores events once closed.
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void Loop::post(base::Task fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_.push_back(std::move(fn));
    wake = !wake_pending_.load(std::memory_order_relaxed);
    wake_pending_.store(true, std::memory_order_release);
  }
  // One eventfd write per batch of posts: the flag is cleared when the loop swaps the queue.
  if (wake) {
    uint64_t one = 1;
    ssize_t r = write(wakefd_, &one, sizeof one);
    (void)r;
  }
}

void Loop::defer(base::Task fn) {
  deferred_.push_back(std::move(fn));
}

void Loop::on_signal(int signo, std::function<void()> fn) {
  sigset_t set;
  sigemptyset(&set);
  for (auto& [s, f] : signal_handlers_) sigaddset(&set, s);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal_handlers_.emplace_back(signo, std::move(fn));
  if (sigfd_ < 0) {
    sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    sig_handler_ = std::make_unique<SignalHandler>(this);
    add(sigfd_, EPOLLIN, sig_handler_.get());
  } else {
    signalfd(sigfd_, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  }
}

void Loop::run() {
  stopping_ = false;
  while (!stopping_) run_once(-1);
}

void Loop::stop() {
  post([this] { stopping_ = true; });
}

void Loop::run_once(int max_wait_ms) {
  wait(max_wait_ms);   // 1. wait
  now_ns_ = wake_ns_;  // 2. now (cached for the whole iteration)
  timers_.set_now(now_ms());
  dispatch_io();              // 3. io
  run_posted();               // 4. posted
  timers_.advance(now_ms());  // 5. timers
  run_deferred();             // 6. deferred
  flush_pending();            // 7. flush
  reap();                     // 8. reap
  base::log_flush();          // 9. log lines of this iteration (on a buffering thread)
  ++iterations_;
}

void Loop::wait(int max_wait_ms) {
  int timeout = max_wait_ms;
  int64_t next = timers_.next_timeout_ms(base::monotonic_ms());
  if (next >= 0 && (timeout < 0 || next < timeout)) timeout = static_cast<int>(next);
  // Work left over (a deferred closure queued by a reap, a flush carried over) must not wait.
  if (!deferred_.empty() || !flush_list_.empty() || !next_flush_.empty()) timeout = 0;
  // The system call itself, without glibc's cancellation-point wrapper (~30 instructions a
  // call; no thread of herald is ever cancelled). Same result and errno. epoll_pwait with no
  // signal mask is epoll_wait, and exists on every architecture (arm64 has no epoll_wait).
  ready_ = static_cast<int>(::syscall(SYS_epoll_pwait, epfd_, events_.data(),
                                      static_cast<int>(events_.size()), timeout, nullptr, 0));
  if (ready_ < 0) {
    if (errno != EINTR) HLOG_ERROR("loop %d: epoll_wait: %s", index_, std::strerror(errno));
    ready_ = 0;
  }
  wake_ns_ = base::monotonic_ns();
}

void Loop::dispatch_io() {
  // Those that asked again from inside their flush last iteration come first this time.
  if (!next_flush_.empty()) {
    flush_list_.insert(flush_list_.begin(), next_flush_.begin(), next_flush_.end());
    next_flush_.clear();
  }
  // Completions posted while we slept (or after the last reap) first: a peek, no syscall.
  if (uring_) uring_->reap();
  for (int i = 0; i < ready_; ++i) {
    auto* h = static_cast<IoHandler*>(events_[i].data.ptr);
    if (h) {
      uint64_t t = base::monotonic_ns();
      lag_us_.record((t - wake_ns_) / 1000u);
      h->on_io(events_[i].events);
    }
    // Objects closed meanwhile stay allocated until phase 8, so the handlers left in
    // events_ are still valid.
    if ((i + 1) % kIoChunk == 0 && i + 1 < ready_) {
      run_deferred();
      flush_pending();
    }
  }
  // A full batch means more may be ready: grow so that one wait takes them all next time.
  if (ready_ == static_cast<int>(events_.size()) && events_.size() < 4096)
    events_.resize(events_.size() * 2);
  ready_ = 0;
}

void Loop::drain_wakeup() {
  uint64_t v;
  while (read(wakefd_, &v, sizeof v) > 0) {
  }
}

void Loop::run_posted() {
  // Nothing posted since the last swap: most iterations of a loop that only serves its own
  // connections. The lock is taken only when there is something to take.
  if (!wake_pending_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    running_.swap(posted_);
    wake_pending_.store(false, std::memory_order_relaxed);
  }
  if (running_.empty()) return;
  for (auto& fn : running_) fn();
  running_.clear();
}

void Loop::run_deferred() {
  // Closures may defer more closures; run until quiet (bounded by what they queue).
  // Both vectors keep their capacity between iterations: a fresh vector per round cost one
  // allocation for the first closure deferred after it (every HTTP publish defers one).
  for (size_t round = 0; round < 16 && !deferred_.empty(); ++round) {
    deferred_running_.swap(deferred_);
    for (auto& fn : deferred_running_) fn();
    deferred_running_.clear();
  }
}

void Loop::flush_pending() {
  for (int round = 0; round < kMaxFlushRounds && !flush_list_.empty(); ++round) {
    // Flushing may queue more flushes (a write error closes a connection, which may notify
    // another); index-based so appends during the walk are served in the same phase.
    for (size_t i = 0; i < flush_list_.size(); ++i) {
      Flushable* f = flush_list_[i];
      f->flush_queued_ = false;
      flushing_ = f;
      f->flush();
      flushing_ = nullptr;
    }
    flush_list_.clear();
    if (!uring_ || !uring_->has_unsubmitted()) return;
    // One syscall for every connection's send. The kernel tries each inline, so their
    // completions are already posted: handle them now (partial writes, EAGAIN, errors),
    // which may ask for another round.
    uring_->submit();
    uring_->reap();
  }
}

void Loop::cancel_flush(Flushable* f) {
  if (!f->flush_queued_) return;
  f->flush_queued_ = false;
  std::erase(flush_list_, f);
  std::erase(next_flush_, f);
}

void Loop::reap() {
  while (!reap_list_.empty()) {
    std::vector<Doomed> batch;
    batch.swap(reap_list_);
    for (const Doomed& d : batch) d.destroy(d.obj);
  }
}

void Loop::handle_signals() {
  signalfd_siginfo info;
  while (read(sigfd_, &info, sizeof info) == sizeof info) {
    for (auto& [signo, fn] : signal_handlers_)
      if (static_cast<uint32_t>(signo) == info.ssi_signo) fn();
  }
}

}  // namespace herald::loop
