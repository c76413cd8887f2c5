#pragma once
// A tiny UDP echo, for the lab's calibration (the round trip the relay adds with nothing to
// impair) and its tests (datagrams cross the relay like TCP segments do). The server runs on a
// thread of its own; the client sends one numbered datagram at a time and waits for its echo.
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "base/histogram.h"

namespace herald::netlab {

/// UDP port of the lab's echo server (inside the lab's own namespaces, so never busy).
inline constexpr uint16_t kEchoPort = 7;

class UdpEchoServer {
 public:
  /// Echoes every datagram that reaches `fd` (a bound UDP socket; taken over and closed).
  explicit UdpEchoServer(int fd);
  ~UdpEchoServer();
  UdpEchoServer(const UdpEchoServer&) = delete;
  UdpEchoServer& operator=(const UdpEchoServer&) = delete;
  uint64_t echoed() const { return echoed_.load(); }

 private:
  void run();
  int fd_, wake_;
  std::atomic<uint64_t> echoed_{0};
  std::thread thread_;
};

/// What happened to one datagram sent by ping_one.
enum class Echo { answered, given_up, timed_out };

/// Sends datagram number `seq` (`bytes` long, at least 8) from `fd` to `to` and waits for its
/// echo, reading and discarding stale echoes of earlier numbers. Waits until the echo arrives,
/// `give_up()` returns true (checked every millisecond: e.g. the relay says it dropped the
/// datagram), or `timeout_ms` passed. On answered, `*rtt_ns` is the round trip.
Echo ping_one(int fd, const sockaddr_in& to, uint64_t seq, size_t bytes, int timeout_ms,
              const std::function<bool()>& give_up, uint64_t* rtt_ns);

/// Round trips of `rounds` datagrams of `bytes`, one after the other, each given up to
/// `timeout_ms`. Returns how many were answered; their round trips go into `rtt`.
int ping_many(int fd, const sockaddr_in& to, int rounds, size_t bytes, int timeout_ms,
              base::Histogram& rtt);

/// A UDP socket bound to ip:port (dotted IPv4), created in the calling thread's namespace;
/// -1 on failure.
int udp_socket(const char* ip, uint16_t port);
sockaddr_in ipv4_address(const char* ip, uint16_t port);

}  // namespace herald::netlab
