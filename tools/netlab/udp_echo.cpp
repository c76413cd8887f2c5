#include "udp_echo.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/time.h"

namespace herald::netlab {

namespace {
constexpr size_t kMaxDatagram = 2048;
}

sockaddr_in ipv4_address(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

int udp_socket(const char* ip, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a = ipv4_address(ip, port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

UdpEchoServer::UdpEchoServer(int fd) : fd_(fd), wake_(::eventfd(0, EFD_CLOEXEC)) {
  thread_ = std::thread([this] { run(); });
}

UdpEchoServer::~UdpEchoServer() {
  uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
  thread_.join();
  ::close(fd_);
  ::close(wake_);
}

void UdpEchoServer::run() {
  char buf[kMaxDatagram];
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents) return;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) continue;
    if (::sendto(fd_, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&from), len) == n)
      echoed_.fetch_add(1);
  }
}

Echo ping_one(int fd, const sockaddr_in& to, uint64_t seq, size_t bytes, int timeout_ms,
              const std::function<bool()>& give_up, uint64_t* rtt_ns) {
  std::vector<char> out(std::max<size_t>(bytes, sizeof seq), 'e');
  std::memcpy(out.data(), &seq, sizeof seq);
  uint64_t t0 = base::monotonic_ns();
  uint64_t deadline = t0 + uint64_t(timeout_ms) * 1'000'000u;
  if (::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) !=
      ssize_t(out.size()))
    return Echo::timed_out;
  char in[kMaxDatagram];
  for (;;) {
    uint64_t now = base::monotonic_ns();
    if (now >= deadline) return Echo::timed_out;
    pollfd p{fd, POLLIN, 0};
    // One millisecond at a time, so give_up is asked often; an echo wakes poll at once.
    if (::poll(&p, 1, 1) == 1) {
      ssize_t n = ::recv(fd, in, sizeof in, MSG_DONTWAIT);
      uint64_t got = 0;
      if (n >= ssize_t(sizeof got)) std::memcpy(&got, in, sizeof got);
      if (n >= ssize_t(sizeof got) && got == seq) {
        *rtt_ns = base::monotonic_ns() - t0;
        return Echo::answered;
      }
      continue;  // an echo of an earlier datagram, late
    }
    if (give_up && give_up()) return Echo::given_up;
  }
}

int ping_many(int fd, const sockaddr_in& to, int rounds, size_t bytes, int timeout_ms,
              base::Histogram& rtt) {
  int answered = 0;
  for (int i = 0; i < rounds; ++i) {
    uint64_t ns = 0;
    if (ping_one(fd, to, uint64_t(i) + 1, bytes, timeout_ms, nullptr, &ns) == Echo::answered) {
      rtt.record(ns);
      ++answered;
    }
  }
  return answered;
}

}  // namespace herald::netlab
