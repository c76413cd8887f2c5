#pragma once
// The lab's relay: one thread that moves IPv4 packets between the TUN devices of the two ends
// (server side and client side), impairing each direction with its own Impairer. Packets wait
// in a FIFO per direction until their release time and are then written to the other side,
// where the kernel receives them as if from a wire - so TCP's own retransmission, congestion
// control and head-of-line blocking are what the bench measures, and UDP sees raw loss.
//
// Why its own epoll loop and not loop::Loop: release times need microsecond precision (a 1 ms
// timer tick would be the largest delay the relay adds), so it sleeps with epoll_pwait2's
// nanosecond timeout and a timer slack of 1 ns.
//
// Threading: the relay thread alone touches the queues and impairers; set_condition and take
// are called from any thread (a mutex around the counters, held once per wake-up).
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "base/histogram.h"
#include "condition.h"
#include "impairer.h"
#include "netns.h"

namespace herald::netlab {

/// Packets held (delayed or queued) per direction at most; past it the relay drops (counted in
/// other_drops). At 300 ms one-way and 10,000 packets/s, 3,000 are held; 20,000 x 1,500 B
/// bounds the memory at 30 MB per direction.
inline constexpr size_t kMaxHeldPackets = 20'000;
/// Packets read from one TUN device per wake-up before the other side gets its turn.
inline constexpr int kReadBudget = 64;
/// SCHED_FIFO priority of the relay thread (the lowest: above every normal thread only).
inline constexpr int kRelayPriority = 1;

/// The figures of one direction over a window (between two take() calls).
struct DirectionStats {
  uint64_t packets = 0, bytes = 0;                      // IPv4 packets read from the sender's side
  uint64_t delivered_packets = 0, delivered_bytes = 0;  // written to the receiver's side
  uint64_t lost = 0;                                    // dropped by the loss draw
  uint64_t queue_drops = 0;     // tail-dropped at the capped link (its buffer was full)
  uint64_t other_drops = 0;     // not IPv4, more than kMaxHeldPackets held, or the write failed
  uint64_t tcp = 0, udp = 0;    // packets read, by protocol
  base::Histogram lateness_ns;  // written minus due: the relay's own delay on top of the model
  base::Histogram queued_ns;    // time spent waiting for the capped link (rate only)
  void merge(const DirectionStats& o);
};

struct RelayStats {
  DirectionStats to_server, to_client;
  double cpu_s = 0;   // the relay thread's CPU time
  double wall_s = 0;  // length of the window
  void merge(const RelayStats& o);
};

class Relay {
 public:
  /// Starts relaying between `server_tun` and `client_tun` (non-blocking TUN descriptors,
  /// borrowed: they must outlive the relay) under condition `c`, draws seeded by `seed`.
  Relay(int server_tun, int client_tun, const Condition& c, uint64_t seed);
  /// Stops the thread; packets still held are dropped.
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  /// False when the thread could not be started (epoll or eventfd failed).
  bool running() const { return running_; }
  /// Applies `c` to both directions from the next packet on (queues and draws carry over).
  void set_condition(const Condition& c);
  Condition condition() const;
  /// The figures since the previous take() (or the start), and a new window.
  RelayStats take();
  /// True when the relay thread runs at real-time priority (SCHED_FIFO kRelayPriority).
  bool realtime() const { return realtime_.load(); }

 private:
  struct Packet {
    uint64_t due_ns;
    std::vector<uint8_t> bytes;
  };
  struct Direction {
    int from = -1, to = -1;
    Impairer impairer;
    std::deque<Packet> held;
    DirectionStats stats;
  };
  void run();
  void read_side(Direction& d, uint64_t now);
  void flush(Direction& d, uint64_t now);
  uint64_t next_due() const;

  Direction dirs_[2];                        // [0]: client -> server, [1]: server -> client
  std::vector<std::vector<uint8_t>> spare_;  // reused packet buffers
  int epoll_ = -1, wake_ = -1;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> realtime_{false};
  mutable std::mutex mu_;  // guards stats, pending_, condition_, window_*
  bool pending_ = false;
  Condition condition_;
  uint64_t window_start_ns_ = 0;
  double cpu_at_window_ = 0;
  std::thread thread_;
};

}  // namespace herald::netlab
