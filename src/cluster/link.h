#pragma once
// One connection from one loop to one Redis server, on that loop (no thread, no blocking
// call): a net::Connection started in client mode, RESP parsed by ReplyReader, commands
// pipelined with their callbacks in a FIFO (Redis answers in order).
//
// A link connects, authenticates (AUTH password, SELECT db) and, for command links, loads the
// engine's scripts, and only then is `ready`. It reconnects by itself after any failure, with
// a backoff from kReconnectMinMs doubling to kReconnectMaxMs. Every command has a deadline of
// timeout_ms: a command sent and not answered in time fails with Errc::unavailable and the
// link is dropped (a Redis that does not answer is not trusted with the next command either),
// a command waiting for the link to come up fails at its deadline. So a caller always hears
// back within about timeout_ms.
//
// Pub/sub links carry SUBSCRIBE / SSUBSCRIBE: once ready, every reply is a push for the
// listener (subscribe confirmations, messages), except the pongs of the link's own PING
// every kPubsubPingMs, which tell a silent server (stopped, partitioned) from a quiet one.
//
// Callbacks run on the link's loop and never inside command().
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "cluster/reply.h"
#include "cluster/stats.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"
#include "net/connection.h"

namespace herald::cluster {

class RedisLink {
 public:
  enum class Kind : uint8_t { command, pubsub };
  enum class State : uint8_t { down, connecting, handshake, ready };

  static constexpr uint32_t kReconnectMinMs = 100;
  static constexpr uint32_t kReconnectMaxMs = 2000;
  static constexpr uint32_t kPubsubPingMs = 1000;
  /// Commands waiting for the link to come up; more are refused at once (unavailable).
  static constexpr size_t kMaxWaiting = 65536;
  /// Largest read the connection buffers before the reader takes it.
  static constexpr size_t kInputBytes = 4 * 1024 * 1024;

  struct Config {
    net::Address address;
    Kind kind = Kind::command;
    std::string password;  // AUTH when not empty
    int db = 0;            // SELECT when not 0 (command links; not in Cluster mode)
    uint32_t timeout_ms = 1000;
    bool load_scripts = true;  // command links: SCRIPT LOAD every engine script at connect
  };

  /// The reply (valid during the call), or `ec` set (Errc::unavailable) and reply null.
  using ReplyFn = std::function<void(const Reply* reply, std::error_code ec)>;

  class Listener {
   public:
    /// The link is ready (again). For a pub/sub link: (re)send the subscriptions now.
    virtual void on_link_up(RedisLink& link) = 0;
    /// The link was ready and is not any more (it reconnects by itself).
    virtual void on_link_down(RedisLink& link) = 0;
    /// Pub/sub links: a confirmation or a message. May call send(), reset() or command().
    virtual void on_push(RedisLink& link, const Reply& reply) {}

   protected:
    ~Listener() = default;
  };

  RedisLink(loop::Loop& loop, Config cfg, Listener& listener, RedisStats& stats);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  /// Starts connecting (and reconnecting after failures, until shutdown()).
  void start();
  /// Closes for good, without calling back anything still pending (used at exit, when the
  /// loops have stopped). Idempotent.
  void shutdown();
  /// Drops the connection (counted as a failure) and reconnects after the backoff.
  void reset(std::string_view why);

  State state() const { return state_; }
  bool ready() const { return state_ == State::ready; }
  Kind kind() const { return cfg_.kind; }
  const net::Address& address() const { return cfg_.address; }
  /// How many times the link became ready (1 after the first connect).
  uint64_t ups() const { return ups_; }

  /// Command links: queues `cmd` (RESP, see format_command); `fn` gets its reply or an error.
  void command(std::string cmd, ReplyFn fn);
  /// Pub/sub links: writes `cmd` now when ready; false when not (on_link_up comes later).
  bool send(std::string_view cmd);

 private:
  class Handler;
  struct Pending {
    ReplyFn fn;
    uint64_t deadline_ms;
  };
  struct Waiting {
    std::string cmd;
    Pending p;
  };

  void connect_now();
  void on_connected();
  void on_data(net::Connection& conn);
  void on_closed(std::error_code ec);
  void dispatch(std::unique_ptr<Reply> reply);
  void handshake_step(const Reply* r, std::error_code ec, const char* what);
  void become_ready();
  void fail(std::string_view why);
  void detach_and_abort();
  void on_timer();
  void arm();
  bool is_pong(const Reply& r) const;

  loop::Loop& loop_;
  Config cfg_;
  Listener& listener_;
  RedisStats& stats_;
  State state_ = State::down;
  bool shut_ = false;
  bool counted_up_ = false;
  net::Connection* conn_ = nullptr;
  Handler* handler_ = nullptr;  // owned by conn_
  std::unique_ptr<ReplyReader> reader_;
  uint64_t conn_gen_ = 0;  // bumped per connection: stale callbacks can tell
  std::deque<Pending> sent_;
  std::deque<Waiting> waiting_;
  size_t handshake_left_ = 0;
  uint64_t ups_ = 0;
  uint64_t failures_in_row_ = 0;
  uint32_t backoff_ms_ = kReconnectMinMs;
  uint64_t reconnect_at_ms_ = 0;
  uint64_t connect_deadline_ms_ = 0;
  uint64_t ping_sent_ms_ = 0;  // pub/sub: an unanswered PING was sent then (0: none)
  bool second_look_ = false;   // a deadline passed; one more io phase before the verdict
  uint64_t next_ping_ms_ = 0;
  loop::Timer timer_;
};

}  // namespace herald::cluster
