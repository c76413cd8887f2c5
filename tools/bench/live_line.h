#pragma once
// The live progress line of a long bench run on a terminal.
#include <cstdint>
#include <string>

#include "bench.h"

namespace herald::bench {

/// One line on a terminal, rewritten in place about once a second while publishing: a long run
/// shows it is alive. Not on a pipe or a file (logs keep the plain progress lines only), not
/// with --quiet. The destructor ends the line.
class LiveLine {
 public:
  LiveLine(const BenchOptions& o, const std::string& transport, uint64_t start_ns);
  ~LiveLine();
  LiveLine(const LiveLine&) = delete;
  LiveLine& operator=(const LiveLine&) = delete;

  /// Rewrites the line when a second passed since the last one (the first one at once).
  void tick(uint64_t delivered);

 private:
  bool on_;
  std::string transport_;
  uint64_t start_ns_;
  double duration_;  // 0: a --messages run, no known end
  bool shown_ = false;
  uint64_t next_ns_ = 0;
};

}  // namespace herald::bench
