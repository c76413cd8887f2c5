#pragma once
// GET /poll loops (docs/protocol.md): long-poll (wait > 0: ask again as soon as an answer arrives)
// or short poll (wait = 0: ask every interval), carrying the cursor of each answer into the next
// request. Answers are parsed by proto::parse_poll_response.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "loop/timer.h"
#include "proto/json.h"
#include "tools/cli/client.h"

namespace herald::cli {

using proto::parse_poll_response;
using proto::PollResponse;

/// The /poll target for `channels`, resuming after `cursor` (empty: from now), waiting
/// `wait_sec`, connecting with `token` (empty: anonymous).
std::string poll_target(const std::vector<std::string>& channels, std::string_view cursor,
                        uint32_t wait_sec, std::string_view token = {});

class Poller {
 public:
  struct Options {
    std::vector<std::string> channels;
    std::string since;            // cursor to start after (empty: from now)
    uint32_t wait_sec = 25;       // 0: short poll
    uint32_t interval_ms = 1000;  // short poll: time between requests
    std::string token;            // a JWT sent as ?token= (empty: anonymous)
  };
  struct Callbacks {
    /// Every answer, in order (the first one carries the starting cursor).
    std::function<void(const PollResponse&)> on_response;
    /// The loop stopped on an error ("HTTP 400: ...", a connection failure, a bad answer).
    std::function<void(std::string_view error)> on_error;
  };

  Poller(loop::Loop& loop, HttpClient& http, Options options, Callbacks callbacks);
  /// Sends the first request.
  void start();
  /// No further request; an answer in flight is ignored.
  void stop();
  const std::string& cursor() const { return cursor_; }
  uint64_t requests() const { return requests_; }

 private:
  void poll();
  void on_answer(const HttpResult& r);

  loop::Loop& loop_;
  HttpClient& http_;
  Options opt_;
  Callbacks cb_;
  std::string cursor_;
  PollResponse scratch_;
  loop::Timer timer_;
  bool running_ = false;
  uint64_t generation_ = 0;  // answers of an earlier start() are ignored
  uint64_t requests_ = 0;
};

}  // namespace herald::cli
