#include "netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace herald::netlab {

namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

std::string describe(const char* step, int err) {
  std::string s = std::string(step) + ": " + std::strerror(err);
  if (err == EPERM || err == EACCES)
    s += " (the lab needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN, and access to /dev/net/tun)";
  return s;
}

bool write_text(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text, std::strlen(text)) == ssize_t(std::strlen(text));
  ::close(fd);
  return ok;
}

bool set_addr(int sock, unsigned long req, const char* ifname, const char* ip) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  if (::inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
    errno = EINVAL;
    return false;
  }
  return ::ioctl(sock, req, &ifr) == 0;
}

bool set_up(int sock, const char* ifname) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return false;
  ifr.ifr_flags = short(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  return ::ioctl(sock, SIOCSIFFLAGS, &ifr) == 0;
}

// The body of make_link_end, on a thread of its own: unshare(CLONE_NEWNET) moves only the
// calling thread, and that thread ends when the namespace is built, so the caller's threads
// never change namespace.
void build_end(const char* local, const char* peer, LinkEnd* end, std::string* why) {
  if (::unshare(CLONE_NEWNET) != 0) return void(*why = describe("unshare(CLONE_NEWNET)", errno));
  end->ns = Fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!end->ns) return void(*why = describe("open /proc/thread-self/ns/net", errno));
  // /proc/sys/net shows the namespace of the thread that opens it: this one's. IPv6 may be
  // absent from the kernel; then there is nothing to switch off.
  write_text("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  write_text("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  // The ends' addresses are in 127/8 (see lab.h): the kernel drops such packets on any device
  // but lo unless route_localnet is set - here, in this namespace only.
  if (!write_text("/proc/sys/net/ipv4/conf/all/route_localnet", "1") ||
      !write_text("/proc/sys/net/ipv4/conf/default/route_localnet", "1"))
    return void(*why = describe("set route_localnet", errno));
  Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return void(*why = describe("socket", errno));
  if (!set_up(sock.get(), "lo")) return void(*why = describe("bring up lo", errno));
  // lo comes up as 127.0.0.1/8, which would make the peer's 127.x address local too: narrow
  // it to 127.0.0.1/32, so the peer is reached through the TUN device.
  if (!set_addr(sock.get(), SIOCSIFNETMASK, "lo", "255.255.255.255"))
    return void(*why = describe("narrow lo to 127.0.0.1/32", errno));
  end->tun = Fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!end->tun) return void(*why = describe("open /dev/net/tun", errno));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, kTunName, IFNAMSIZ - 1);
  if (::ioctl(end->tun.get(), TUNSETIFF, &ifr) != 0)
    return void(*why = describe("TUNSETIFF", errno));
  if (!set_addr(sock.get(), SIOCSIFADDR, kTunName, local))
    return void(*why = describe("set the TUN address", errno));
  if (!set_addr(sock.get(), SIOCSIFDSTADDR, kTunName, peer))
    return void(*why = describe("set the TUN peer", errno));
  if (!set_addr(sock.get(), SIOCSIFNETMASK, kTunName, "255.255.255.255"))
    return void(*why = describe("set the TUN netmask", errno));
  ifreq q{};
  std::strncpy(q.ifr_name, kTunName, IFNAMSIZ - 1);
  q.ifr_mtu = kLabMtu;
  if (::ioctl(sock.get(), SIOCSIFMTU, &q) != 0) return void(*why = describe("set the MTU", errno));
  // Best effort: inside a user namespace the kernel refuses it, and the default (500) only
  // matters if the relay falls behind - which the kernel's drop counter then says (TcpCounters).
  q.ifr_qlen = kTunQueueLen;
  (void)::ioctl(sock.get(), SIOCSIFTXQLEN, &q);
  if (!set_up(sock.get(), kTunName)) return void(*why = describe("bring up the TUN", errno));
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

base::Result<LinkEnd> make_link_end(const char* local, const char* peer, std::string* why) {
  LinkEnd end;
  std::string err;
  std::thread t(build_end, local, peer, &end, &err);
  t.join();
  if (!err.empty()) {
    if (why) *why = err;
    return base::Errc::unavailable;
  }
  return end;
}

InNetns::InNetns(int ns_fd) : home_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
  if (!home_) {
    ec_ = last_error();
    return;
  }
  if (::setns(ns_fd, CLONE_NEWNET) != 0) ec_ = last_error();
}

InNetns::~InNetns() {
  // Going home cannot fail for a namespace this thread was in a moment ago (the descriptor
  // keeps it alive), short of a kernel refusing setns to root: nothing to report here.
  if (!ec_) (void)::setns(home_.get(), CLONE_NEWNET);
}

std::string lab_unavailable_reason() {
  Fd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!tun) return describe("open /dev/net/tun", errno);
  std::string why;
  auto end = make_link_end("127.18.255.1", "127.18.255.2", &why);
  return end.ok() ? std::string() : why;
}

}  // namespace herald::netlab
