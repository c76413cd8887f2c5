#pragma once
// One bench subscriber over UDP datagrams (docs/protocol.md, "UDP datagrams"): a socket
// connected to the server's port on the worker's loop, driving a udp_codec::ClientSession -
// address validation, the lease, subscribe, gaps asked for again, tail probes, keepalives.
// Each publication's first arrival goes to its SubState like a push on any other transport;
// an announce (a publication too large for a datagram) is fetched by the SubState over HTTP.
#include <cstdint>
#include <string>
#include <string_view>

#include "loop/loop.h"
#include "loop/timer.h"
#include "net/udp_socket.h"
#include "udp_codec/client.h"

namespace herald::bench {

class Worker;
class SubState;

/// Socket buffer a bench UDP subscriber asks for: a burst of fan-out must not overflow it
/// while the client loop is busy with other subscribers (the kernel may cap it).
inline constexpr int kUdpClientBufferBytes = 1 << 20;
/// Datagrams one recvmmsg takes (slots of the largest datagram, one batch per client loop).
inline constexpr size_t kUdpRecvSlots = 32;
/// How often the session's timers (resends, probes, keepalives, retries) are looked at.
inline constexpr uint64_t kUdpTickMs = 10;

class UdpSub final : public loop::IoHandler, public udp_codec::ClientSession::Sink {
 public:
  UdpSub(Worker& w, SubState& sub, const std::string& channel);
  ~UdpSub();
  UdpSub(const UdpSub&) = delete;
  UdpSub& operator=(const UdpSub&) = delete;

  /// Opens the socket and sends the hello; false (an error counted) when no socket.
  bool start();
  /// Ends the lease (`close`) and closes the socket.
  void stop();
  const udp_codec::ClientSession::Stats& stats() const { return session_.stats(); }
  /// Every offset up to this one has arrived (by datagram, or announced).
  uint64_t contiguous() const {
    return session_.tracker(0).started() ? session_.tracker(0).contiguous() : 0;
  }

 private:
  void on_io(uint32_t events) override;
  void tick();

  // ClientSession::Sink
  void send(std::string_view datagram) override;
  void on_subscribed(size_t index, std::string_view epoch, uint64_t offset, uint8_t flags) override;
  void on_publication(size_t index, std::string_view epoch, uint64_t offset, std::string_view data,
                      bool fill) override;
  void on_announce(size_t index, std::string_view epoch, uint64_t offset, uint32_t size,
                   bool fill) override;
  void on_lost(size_t index, std::string_view epoch, uint64_t after, uint64_t through,
               uint64_t count) override;
  void on_error(size_t index, uint16_t code, std::string_view message) override;

  Worker& w_;
  SubState& sub_;
  net::UdpSocket sock_;
  udp_codec::ClientSession session_;
  loop::Timer timer_;
  uint64_t now_ns_ = 0;  // the read a datagram came in (latency is measured from it)
  bool registered_ = false;
};

}  // namespace herald::bench
