#include "net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace herald::net {

namespace {
std::error_code errno_code() {
  return std::error_code(errno, std::system_category());
}
constexpr int kBacklog = 4096;
constexpr uint64_t kAcceptBackoffMs = 100;
}  // namespace

base::Result<std::unique_ptr<Listener>> Listener::open(loop::Loop& loop, const Address& addr,
                                                       bool reuse_port, AcceptFn on_accept) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, addr.sa(), addr.len) != 0 || ::listen(fd, kBacklog) != 0) {
    auto ec = errno_code();
    ::close(fd);
    return ec;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  auto l = std::unique_ptr<Listener>(
      new Listener(loop, fd, Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len),
                   std::move(on_accept)));
  loop.add(fd, EPOLLIN, l.get());
  return l;
}

std::error_code check_address_free(const Address& addr) {
  if (addr.port() == 0) return {};
  // A probe without SO_REUSEPORT: bind() refuses it while any socket listens on the address.
  // SO_REUSEADDR keeps connections in TIME_WAIT from a previous run out of the verdict.
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  int rc = ::bind(fd, addr.sa(), addr.len);
  auto ec = rc != 0 ? errno_code() : std::error_code{};
  ::close(fd);
  return ec;
}

Listener::Listener(loop::Loop& loop, int fd, const Address& addr, AcceptFn fn)
    : loop_(loop), fd_(fd), addr_(addr), on_accept_(std::move(fn)) {}

Listener::~Listener() {
  close();
}

void Listener::close() {
  if (fd_ < 0) return;
  backoff_.stop();
  loop_.remove(fd_);
  ::close(fd_);
  fd_ = -1;
}

void Listener::on_io(uint32_t) {
  if (fd_ < 0 || paused_) return;
  for (int i = 0; i < 256; ++i) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int cfd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment instead of spinning on a listener
        // that stays readable.
        HLOG_WARN("accept: %s; pausing accepts for %llu ms", std::strerror(errno),
                  static_cast<unsigned long long>(kAcceptBackoffMs));
        paused_ = true;
        loop_.modify(fd_, 0, this);
        backoff_.start(loop_.timers(), kAcceptBackoffMs, [this] {
          paused_ = false;
          if (fd_ >= 0) loop_.modify(fd_, EPOLLIN, this);
        });
        return;
      }
      HLOG_WARN("accept: %s", std::strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    on_accept_(cfd, Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
  }
}

base::Result<int> connect_tcp(const Address& addr) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  if (::connect(fd, addr.sa(), addr.len) != 0 && errno != EINPROGRESS) {
    auto ec = errno_code();
    ::close(fd);
    return ec;
  }
  return fd;
}

}  // namespace herald::net
