#pragma once
// Counters of the Redis engine, for /metrics and /health. Written by the loops (relaxed
// atomics: each is a plain count, nothing is ordered by them), read by any loop.
#include <atomic>
#include <cstdint>

namespace herald::cluster {

struct RedisStats {
  std::atomic<uint64_t> links{0};             // connections that exist (gauge)
  std::atomic<uint64_t> links_up{0};          // of them, connected and ready (gauge)
  std::atomic<uint64_t> loops_routed{0};      // loops that know where channels live (gauge)
  std::atomic<uint64_t> reconnects{0};        // a link came up again after going down
  std::atomic<uint64_t> link_failures{0};     // connects refused, links dropped, timeouts
  std::atomic<uint64_t> commands{0};          // commands sent
  std::atomic<uint64_t> command_errors{0};    // error replies and replies of the wrong shape
  std::atomic<uint64_t> command_timeouts{0};  // commands unanswered within timeout_ms
  std::atomic<uint64_t> publish_failures{0};  // publishes answered unavailable
  std::atomic<uint64_t> redirects{0};         // MOVED / ASK answers followed (Cluster)
  std::atomic<uint64_t> script_reloads{0};    // NOSCRIPT answers: script loaded again
  std::atomic<uint64_t> resyncs{0};           // feeds re-read after their pub/sub link returned
  std::atomic<uint64_t> gap_fills{0};         // live publications that skipped ahead: range read
  std::atomic<uint64_t> gap_publications{0};  // publications delivered from such reads
  std::atomic<uint64_t> stream_resets{0};     // a watched stream lost its history (new epoch)
  std::atomic<uint64_t> malformed{0};         // live messages or stream entries refused

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
  static void sub(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.fetch_sub(n, std::memory_order_relaxed);
  }
  static uint64_t get(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }
};

}  // namespace herald::cluster
