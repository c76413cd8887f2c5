// fuzz-links: proto
// Feeds arbitrary bytes to the text/event-stream parser as one read and again in pieces whose
// boundaries come from the input. Invariants:
//   - the pieces give exactly the transcript of the single read (events, comments, retries, ids,
//     in order) and the same outcome (failed or not, last event id, retry);
//   - nothing handed out is larger than the limit: no event's data, type (but the default
//     "message"), id or comment, and the last event id, stay within max_event_bytes;
//   - the stream's line ends never reach a value (no CR or LF in a type, id or comment, no CR in
//     data, whose lines are joined with LF), and an id never holds NUL;
//   - a failed parser stays failed and reports nothing more.
// The first input byte picks a small limit (or the default), so the limit is crossed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/sse_parser.h"

namespace {

using herald::proto::kMaxSseEventBytes;
using herald::proto::SseEvent;
using herald::proto::SseParser;
using herald::proto::SseSink;

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_any(std::string_view v, std::string_view chars) {
  return v.find_first_of(chars) != std::string_view::npos;
}

// Records everything the parser reports and checks each value as it arrives.
struct Recorder final : SseSink {
  explicit Recorder(size_t limit) : limit(limit) {}
  size_t limit;
  std::string log;

  void on_event(const SseEvent& e) override {
    check(e.data.size() <= limit && e.id.size() <= limit);
    check(e.type == "message" || e.type.size() <= limit);  // the default type is not counted
    check(!e.type.empty() && !has_any(e.type, "\r\n") && !has_any(e.data, "\r"));
    check(!has_any(e.id, std::string_view("\r\n\0", 3)));
    append('E', e.type);
    append('i', e.id);
    append('d', e.data);
  }
  void on_comment(std::string_view text) override {
    check(text.size() <= limit && !has_any(text, "\r\n"));
    append('C', text);
  }
  void on_retry(uint32_t ms) override { append('R', std::to_string(ms)); }
  void on_id(std::string_view id) override {
    check(id.size() <= limit && !has_any(id, std::string_view("\r\n\0", 3)));
    append('I', id);
  }

  void append(char tag, std::string_view v) {
    log.push_back(tag);
    log += std::to_string(v.size());
    log.push_back(':');
    log.append(v);
  }
};

struct Outcome {
  std::string log;
  bool ok = true;
  std::string last_id;
  uint32_t retry = 0;
};

Outcome run(std::string_view stream, const std::vector<size_t>& cuts, size_t limit) {
  SseParser parser(limit);
  Recorder rec(limit);
  Outcome out;
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t cut = i < cuts.size() ? cuts[i] : stream.size();
    size_t before = rec.log.size();
    bool ok = parser.feed(stream.substr(from, cut - from), rec);
    from = cut;
    check(ok == !parser.failed());
    if (!out.ok) check(!ok && rec.log.size() == before);  // failed stays failed, silent
    out.ok = out.ok && ok;
  }
  out.log = std::move(rec.log);
  out.last_id = parser.last_event_id();
  out.retry = parser.retry_ms();
  check(out.last_id.size() <= limit);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Byte 0: the limit (small ones cross it often); byte 1: seeds the split points.
  static constexpr size_t kLimits[] = {1, 2, 3, 5, 8, 16, 64, kMaxSseEventBytes};
  size_t limit = kLimits[data[0] % (sizeof kLimits / sizeof kLimits[0])];
  uint32_t rng = 0x9e3779b9u ^ (uint32_t(data[1]) * 0x01000193u) ^ uint32_t(size);
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  std::vector<size_t> cuts;
  for (size_t at = 0;;) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    // Mostly short pieces (1-4 bytes) so CR/LF pairs and the BOM get split, sometimes long.
    at += (rng & 7) < 6 ? 1 + (rng >> 8) % 4 : 1 + (rng >> 8) % 64;
    if (at >= stream.size()) break;
    cuts.push_back(at);
  }

  Outcome whole = run(stream, {}, limit);
  Outcome split = run(stream, cuts, limit);
  check(whole.ok == split.ok);
  check(whole.log == split.log);
  check(whole.last_id == split.last_id);
  check(whole.retry == split.retry);
  return 0;
}
