#pragma once
// The datagrams one loop's UDP socket has yet to send, flushed with sendmmsg in phase 7 of the
// loop (docs/design.md): a publication's datagram is encoded once per loop and shared by every
// lease; each send copies only its 12-byte header to stamp the lease's session, and the body
// goes out by reference. Bounded: past limits::kUdpMaxQueued datagrams new ones are dropped
// (and counted): UDP is lossy by contract, and the client fills the gap.
#include <cstdint>
#include <vector>

#include "base/metrics.h"
#include "base/shared_buffer.h"
#include "net/address.h"
#include "net/udp_socket.h"

namespace herald::udp {

class Outbox {
 public:
  explicit Outbox(base::UdpMetrics& metrics);

  /// Queues `dgram` (a whole encoded datagram) for `to`, with `session` stamped in its header
  /// when it leaves. False when the queue is full: the datagram is dropped and counted.
  bool push(const net::Address& to, uint64_t session, base::SharedBuffer dgram);
  /// Sends what is queued, in order. False when the socket would block with datagrams left
  /// (the caller waits for EPOLLOUT and flushes again).
  bool flush(int fd);
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  /// Drops everything queued (the socket is closing).
  void clear();

 private:
  struct Item {
    net::Address to;
    uint64_t session;
    base::SharedBuffer dgram;
  };
  base::UdpMetrics& metrics_;
  std::vector<Item> items_;
  size_t head_ = 0;
  net::SendBatch batch_;
};

}  // namespace herald::udp
