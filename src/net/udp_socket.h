#pragma once
// UDP sockets: a server socket per loop bound with SO_REUSEPORT on the HTTP port number (the
// kernel spreads client addresses across the loops' sockets), a client socket connected to
// one server, and batched I/O: recvmmsg into fixed slots and sendmmsg of (header, body)
// pairs, because a syscall costs more here than the work of a datagram (docs/design.md).
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/error.h"
#include "net/address.h"

namespace herald::net {

/// Owns a non-blocking, close-on-exec UDP socket fd.
class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket();
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_), local_(o.local_) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  /// Binds `addr` (port 0: the kernel picks). With `reuse_port` several sockets (one per loop)
  /// share the address; SO_REUSEADDR is not set, so a socket of another program cannot join.
  /// `buffer_bytes` > 0 asks for that much send and receive buffer (the kernel may cap it).
  static base::Result<UdpSocket> bind(const Address& addr, bool reuse_port, int buffer_bytes);
  /// A client socket on an ephemeral port, connected to `server` (it receives only from it).
  static base::Result<UdpSocket> connect(const Address& server, int buffer_bytes);

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  /// The bound address (the real port when 0 was asked for).
  const Address& local() const { return local_; }
  void close();

  /// One send on a connected socket; false on any error (EAGAIN included: a datagram is lost).
  bool send(std::string_view datagram);

 private:
  // Takes an open, bound or connected fd (or passes its opening's error on).
  static base::Result<UdpSocket> adopt(base::Result<int> fd);

  int fd_ = -1;
  Address local_;
};

/// EADDRINUSE (or another error) when a UDP socket is already bound on `addr`, else no error
/// (port 0 always passes). Probes with a socket that has neither SO_REUSEADDR nor
/// SO_REUSEPORT, which the kernel refuses while any socket holds the address.
std::error_code check_udp_free(const Address& addr);

/// Datagrams received by one recvmmsg, into slots of a fixed size allocated once.
class RecvBatch {
 public:
  /// `slots` datagrams of up to `slot_bytes` each; a longer one is reported truncated.
  RecvBatch(size_t slots, size_t slot_bytes);

  struct Datagram {
    std::string_view bytes;  // the first min(size, slot_bytes) bytes
    size_t size = 0;         // its real size (MSG_TRUNC)
    bool truncated = false;  // larger than a slot
    Address from;
  };

  /// Reads what is queued on `fd`, up to the number of slots; 0 when nothing was (EAGAIN) or on
  /// an error. Entries are valid until the next recv().
  size_t recv(int fd);
  const Datagram& operator[](size_t i) const { return got_[i]; }
  size_t slot_bytes() const { return slot_bytes_; }

 private:
  size_t slot_bytes_;
  std::unique_ptr<char[]> buffers_;
  std::vector<mmsghdr> hdrs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_in6> addrs_;  // large enough for IPv4 and IPv6
  std::vector<Datagram> got_;
};

/// Datagrams to send with one sendmmsg: each is a small header (copied in) followed by a body
/// that the caller keeps alive until send() returns.
class SendBatch {
 public:
  static constexpr size_t kMaxHeader = 16;
  explicit SendBatch(size_t capacity);

  bool full() const { return n_ == capacity_; }
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  /// Adds one datagram to `to`: `header` (at most kMaxHeader bytes) then `body`.
  void add(const Address& to, std::string_view header, std::string_view body);
  /// Sends what was added, in order, with as few sendmmsg calls as the kernel allows. Stops
  /// at EAGAIN (`*would_block` set): the datagrams from the returned index on were not sent. A
  /// datagram refused for another reason (a destination the kernel cannot reach) is skipped
  /// and counted in `*dropped`. Returns the index reached: sent + dropped.
  size_t send(int fd, size_t* dropped, bool* would_block);
  /// Forgets every added datagram.
  void clear() { n_ = 0; }

 private:
  size_t capacity_;
  size_t n_ = 0;
  std::vector<mmsghdr> hdrs_;
  std::vector<iovec> iovs_;  // two per datagram
  std::vector<char> headers_;
  std::vector<Address> to_;
};

}  // namespace herald::net
