// fuzz-links: ws_codec
// Feeds arbitrary bytes to a WsReader in chunks chosen by the input, and checks what a session
// relies on: no crash, every byte consumed unless an error ends the stream, nothing after an
// error, the same events whatever the chunking, text messages valid UTF-8, sizes within limits,
// close codes legal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ws_codec/message.h"
#include "ws_codec/utf8.h"

namespace {

using herald::ws::WsEvent;
using herald::ws::WsLimits;
using herald::ws::WsReader;

struct Run {
  std::vector<WsEvent> events;
};

// Feeds `in` in chunks whose sizes come from a small PRNG seeded by `seed` (0: one feed).
Run feed(std::string_view in, const WsLimits& limits, uint32_t seed) {
  WsReader reader(limits);
  Run run;
  size_t pos = 0;
  uint32_t x = seed;
  bool failed = false;
  while (pos < in.size()) {
    size_t n = in.size() - pos;
    if (seed) {
      x = x * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (x >> 16) % 37);
    }
    const std::string_view chunk = in.substr(pos, n);
    const size_t before = run.events.size();
    const size_t used = reader.feed(chunk, run.events);
    if (failed && (used != 0 || run.events.size() != before)) std::abort();  // after an error
    bool error_now = false;
    for (size_t i = before; i < run.events.size(); ++i) {
      if (run.events[i].kind == WsEvent::error) {
        if (i + 1 != run.events.size()) std::abort();  // error is the last event
        error_now = true;
      }
    }
    if (!error_now && !failed && used != chunk.size()) std::abort();
    if (used > chunk.size()) std::abort();
    failed = failed || error_now;
    pos += n;
  }
  return run;
}

bool same(const std::vector<WsEvent>& a, const std::vector<WsEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].close_code != b[i].close_code ||
        a[i].compressed != b[i].compressed || a[i].payload != b[i].payload) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Byte 0 chooses the role, RSV1 and a limit small enough to be crossed; byte 1 the chunking.
  WsLimits limits;
  limits.role = (data[0] & 1) ? herald::ws::Role::client : herald::ws::Role::server;
  limits.allow_rsv1 = data[0] & 2;
  limits.max_message = (data[0] & 4) ? 64 + (data[0] >> 3) * 16 : 1 << 16;
  const uint32_t seed = data[1] | 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Run whole = feed(in, limits, 0);
  const Run chunked = feed(in, limits, seed);
  if (!same(whole.events, chunked.events)) std::abort();

  for (const WsEvent& e : whole.events) {
    switch (e.kind) {
      case WsEvent::text:
        if (!e.compressed && !herald::ws::is_valid_utf8(e.payload)) std::abort();
        [[fallthrough]];
      case WsEvent::binary:
        if (e.payload.size() > limits.max_message) std::abort();
        if (e.compressed && !limits.allow_rsv1) std::abort();
        break;
      case WsEvent::ping:
      case WsEvent::pong:
        if (e.payload.size() > herald::ws::kMaxControlPayload) std::abort();
        break;
      case WsEvent::close:
        if (e.close_code != herald::ws::close_code::kNoStatus &&
            !herald::ws::is_valid_close_code(e.close_code)) {
          std::abort();
        }
        if (!herald::ws::is_valid_utf8(e.payload)) std::abort();
        break;
      case WsEvent::error:
        if (e.close_code != 1002 && e.close_code != 1007 && e.close_code != 1009) std::abort();
        break;
    }
  }
  return 0;
}
