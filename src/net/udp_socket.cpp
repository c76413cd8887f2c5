#include "net/udp_socket.h"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace herald::net {

namespace {

std::error_code errno_code() {
  return std::error_code(errno, std::system_category());
}

void set_buffers(int fd, int bytes) {
  if (bytes <= 0) return;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

Address local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return Address::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace

UdpSocket::~UdpSocket() {
  close();
}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    local_ = o.local_;
    o.fd_ = -1;
  }
  return *this;
}

void UdpSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// A non-blocking datagram socket for `addr`'s family, set up by `prepare` and then bound or
// connected to `addr` by `attach` (::bind or ::connect); closed again on any failure.
template <typename Prepare, typename Attach>
base::Result<int> open_udp(const Address& addr, Prepare prepare, Attach attach) {
  int fd = ::socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  prepare(fd);
  if (attach(fd, addr.sa(), addr.len) != 0) {
    auto ec = errno_code();
    ::close(fd);
    return ec;
  }
  return fd;
}

}  // namespace

base::Result<UdpSocket> UdpSocket::adopt(base::Result<int> fd) {
  if (!fd) return fd.error();
  UdpSocket s;
  s.fd_ = *fd;
  s.local_ = local_of(*fd);
  return s;
}

base::Result<UdpSocket> UdpSocket::bind(const Address& addr, bool reuse_port, int buffer_bytes) {
  return adopt(open_udp(
      addr,
      [&](int fd) {
        int one = 1;
        if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        set_buffers(fd, buffer_bytes);
      },
      ::bind));
}

base::Result<UdpSocket> UdpSocket::connect(const Address& server, int buffer_bytes) {
  return adopt(open_udp(
      server, [&](int fd) { set_buffers(fd, buffer_bytes); }, ::connect));
}

bool UdpSocket::send(std::string_view datagram) {
  return ::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT) ==
         static_cast<ssize_t>(datagram.size());
}

std::error_code check_udp_free(const Address& addr) {
  if (addr.port() == 0) return {};
  int fd = ::socket(addr.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  int one = 1;
  if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  int rc = ::bind(fd, addr.sa(), addr.len);
  auto ec = rc != 0 ? errno_code() : std::error_code{};
  ::close(fd);
  return ec;
}

// ---- RecvBatch -----------------------------------------------------------------------------

RecvBatch::RecvBatch(size_t slots, size_t slot_bytes)
    : slot_bytes_(slot_bytes),
      buffers_(new char[slots * slot_bytes]),
      hdrs_(slots),
      iovs_(slots),
      addrs_(slots),
      got_(slots) {}

size_t RecvBatch::recv(int fd) {
  for (size_t i = 0; i < hdrs_.size(); ++i) {
    iovs_[i] = iovec{buffers_.get() + i * slot_bytes_, slot_bytes_};
    msghdr& h = hdrs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &addrs_[i];
    h.msg_namelen = sizeof addrs_[i];
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    hdrs_[i].msg_len = 0;
  }
  int n = ::recvmmsg(fd, hdrs_.data(), static_cast<unsigned>(hdrs_.size()), MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    const msghdr& h = hdrs_[i].msg_hdr;
    Datagram& d = got_[i];
    // With MSG_TRUNC in msg_flags, msg_len is what was copied (the slot); a datagram that
    // fills its slot exactly may also have been longer, so a slot is one byte larger than
    // the largest datagram accepted (the caller's choice of slot_bytes).
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    d.size = hdrs_[i].msg_len;
    d.bytes = std::string_view(buffers_.get() + size_t(i) * slot_bytes_,
                               std::min<size_t>(d.size, slot_bytes_));
    d.from = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&addrs_[i]), h.msg_namelen);
  }
  return size_t(n);
}

// ---- SendBatch -----------------------------------------------------------------------------

SendBatch::SendBatch(size_t capacity)
    : capacity_(capacity),
      hdrs_(capacity),
      iovs_(2 * capacity),
      headers_(kMaxHeader * capacity),
      to_(capacity) {}

void SendBatch::add(const Address& to, std::string_view header, std::string_view body) {
  size_t i = n_++;
  char* h = headers_.data() + i * kMaxHeader;
  size_t hn = std::min(header.size(), kMaxHeader);
  if (hn) std::memcpy(h, header.data(), hn);
  to_[i] = to;
  iovs_[2 * i] = iovec{h, hn};
  iovs_[2 * i + 1] = iovec{const_cast<char*>(body.data()), body.size()};
  msghdr& m = hdrs_[i].msg_hdr;
  m = msghdr{};
  m.msg_name = const_cast<sockaddr*>(to_[i].sa());
  m.msg_namelen = to_[i].len;
  m.msg_iov = &iovs_[2 * i];
  m.msg_iovlen = body.empty() ? 1 : 2;
}

size_t SendBatch::send(int fd, size_t* dropped, bool* would_block) {
  size_t at = 0;
  *dropped = 0;
  *would_block = false;
  while (at < n_) {
    int r = ::sendmmsg(fd, hdrs_.data() + at, static_cast<unsigned>(n_ - at), MSG_DONTWAIT);
    if (r > 0) {
      at += size_t(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      *would_block = true;
      break;
    }
    // The datagram at `at` was refused on its own (sendmmsg reports an error only for the
    // first datagram of a call): skip it, keep the others.
    ++*dropped;
    ++at;
  }
  return at;
}

}  // namespace herald::net
