#pragma once
// Network namespaces and TUN devices for the lab. Each end of the lab's link is an anonymous
// network namespace - held by a file descriptor, with no name under /run/netns - holding one
// TUN device. The kernel frees such a namespace, and the TUN device in it, when the last
// descriptor and the last process inside it are gone: a bench that is killed (SIGKILL, a crash)
// leaves nothing behind, and two benches never collide on a name. The host's interfaces are
// never touched: every interface the lab configures is inside one of its own namespaces.
#include <string>
#include <system_error>

#include "base/error.h"

namespace herald::netlab {

/// Name of the TUN device inside each end's namespace.
inline constexpr const char* kTunName = "hl0";
/// MTU of the lab's link: Ethernet's, so TCP segments (and losses) are the size they are on a
/// real path.
inline constexpr int kLabMtu = 1500;
/// Packets the kernel may queue on a TUN device before the relay reads them (its txqueuelen).
/// Far above what the relay lets pile up, so the kernel never drops a packet the model did not.
inline constexpr int kTunQueueLen = 10'000;

/// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// One end of the lab's link: a namespace of its own and the TUN device in it.
struct LinkEnd {
  Fd ns;   // /proc/.../ns/net of the namespace: keeps it alive, setns() target
  Fd tun;  // the TUN device's queue (non-blocking): IPv4 packets without a header
};

/// Creates a fresh network namespace with loopback up and a TUN device kTunName addressed
/// `local`/32, point-to-point to `peer` (dotted IPv4), IPv6 off (so no router solicitations
/// cross the link). On failure `why` says which step failed and why (e.g. not root).
base::Result<LinkEnd> make_link_end(const char* local, const char* peer, std::string* why);

/// Moves the calling thread into a network namespace until destruction, then back where it
/// was. Threads started meanwhile are born in it (a thread inherits its creator's namespace),
/// and sockets created meanwhile belong to it for life.
class InNetns {
 public:
  explicit InNetns(int ns_fd);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;
  /// False when setns failed (the thread stayed where it was).
  bool ok() const { return !ec_; }
  std::error_code error() const { return ec_; }

 private:
  Fd home_;
  std::error_code ec_;
};

/// Empty when this process can build the lab (root: CAP_SYS_ADMIN and CAP_NET_ADMIN, and
/// /dev/net/tun opens); otherwise why not, in a sentence for the user.
std::string lab_unavailable_reason();

}  // namespace herald::netlab
