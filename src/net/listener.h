#pragma once
// A listening TCP socket on one loop (SO_REUSEPORT: one listener per loop thread, the kernel
// spreads connections). Accepts in a loop until EAGAIN; each accepted fd is non-blocking,
// close-on-exec, TCP_NODELAY.
#include <functional>
#include <memory>

#include "base/error.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"

namespace herald::net {

class Listener final : public loop::IoHandler {
 public:
  using AcceptFn = std::function<void(int fd, const Address& peer)>;
  /// Binds and listens. With `reuse_port`, several loops may bind the same address.
  static base::Result<std::unique_ptr<Listener>> open(loop::Loop& loop, const Address& addr,
                                                      bool reuse_port, AcceptFn on_accept);
  ~Listener();
  /// The bound address (its port is the real one when 0 was asked for).
  const Address& address() const { return addr_; }
  /// Stops accepting (drain on shutdown): the socket is closed.
  void close();

 private:
  Listener(loop::Loop& loop, int fd, const Address& addr, AcceptFn fn);
  void on_io(uint32_t events) override;

  loop::Loop& loop_;
  int fd_;
  Address addr_;
  AcceptFn on_accept_;
  loop::Timer backoff_;
  bool paused_ = false;
};

/// EADDRINUSE when another socket already listens on `addr`, else no error (port 0 always
/// passes).
/// SO_REUSEPORT lets every process of the same user bind a port that is already in use and
/// silently share its connections; a server calls this once before its first reuse_port
/// listener so that a second server on the same port is refused instead.
std::error_code check_address_free(const Address& addr);

/// Starts a non-blocking connect to `addr`; returns the fd (the connect completes later:
/// give it to a Connection started with `connecting = true`).
base::Result<int> connect_tcp(const Address& addr);

}  // namespace herald::net
