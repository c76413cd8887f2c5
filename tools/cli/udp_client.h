#pragma once
// herald's UDP datagram subscriber on the event loop (`herald sub --transport udp`): a socket
// connected to the server's port number driving a udp_codec::ClientSession (address
// validation, lease, subscribe with cursors, gaps asked for again, keepalives, reopening after
// a reset), and an HttpClient that fetches announced publications (too large for a datagram)
// with GET /poll, as docs/protocol.md ("UDP datagrams") says.
//
// Callbacks run on the loop thread; each publication is reported once, in arrival order (a
// gap fill or an announced one fetched over HTTP may come after later offsets).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/udp_socket.h"
#include "tools/cli/client.h"
#include "udp_codec/client.h"

namespace herald::cli {

/// How often the session's timers (resends, probes, keepalives, retries) are looked at.
inline constexpr uint64_t kUdpTickMs = 10;
/// Receive buffer the subscriber asks for (the kernel may cap it).
inline constexpr int kUdpBufferBytes = 1 << 20;

class UdpClient final : private loop::IoHandler, private udp_codec::ClientSession::Sink {
 public:
  struct Callbacks {
    /// Channel `index` is subscribed at `epoch:offset`; flags as in the datagram.
    std::function<void(size_t index, std::string_view epoch, uint64_t offset, uint8_t flags)>
        on_subscribed;
    /// A publication, once: `push` is the JSON object the other transports deliver,
    /// {"channel":C,"offset":N,"data":D}.
    std::function<void(size_t index, uint64_t offset, std::string_view push)> on_publication;
    /// Offsets (after, through] of channel `index` will never arrive (`count` of them were
    /// missing); the stream goes on at `epoch:through`.
    std::function<void(size_t index, std::string_view epoch, uint64_t through, uint64_t count)>
        on_lost;
    /// An error: a refused subscribe (`index`), or the lease (npos) - token expired, the server
    /// shutting down, a fetch that failed.
    std::function<void(size_t index, uint16_t code, std::string_view message)> on_error;
  };

  /// `authority` is the Host header of the HTTP fetches; `token` a JWT or empty (anonymous).
  UdpClient(loop::Loop& loop, const net::Address& server, std::string authority,
            std::vector<udp_codec::ClientSession::Channel> channels, std::string token,
            Callbacks callbacks);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  /// Opens the socket and sends the hello.
  std::error_code start();
  /// Ends the lease (`close` datagram) and the socket.
  void close();
  const udp_codec::ClientSession& session() const { return session_; }

 private:
  void on_io(uint32_t events) override;
  void tick();
  void fetch(size_t index, std::string epoch, uint64_t offset);

  void send(std::string_view datagram) override;
  void on_subscribed(size_t index, std::string_view epoch, uint64_t offset, uint8_t flags) override;
  void on_publication(size_t index, std::string_view epoch, uint64_t offset, std::string_view data,
                      bool fill) override;
  /// Printed as SSE and polling carry it: {"channel":"c","offset":N,"b64":"..."}.
  void on_binary_publication(size_t index, std::string_view epoch, uint64_t offset,
                             std::string_view bytes, bool fill) override;
  void on_announce(size_t index, std::string_view epoch, uint64_t offset, uint32_t size,
                   bool fill) override;
  void on_lost(size_t index, std::string_view epoch, uint64_t after, uint64_t through,
               uint64_t count) override;
  void on_error(size_t index, uint16_t code, std::string_view message) override;

  loop::Loop& loop_;
  net::Address server_;
  HttpClient http_;
  udp_codec::ClientSession session_;
  Callbacks cb_;
  net::UdpSocket sock_;
  net::RecvBatch rx_;
  loop::Timer timer_;
  std::string push_;
  bool registered_ = false;
};

}  // namespace herald::cli
