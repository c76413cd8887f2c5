#pragma once
// A pure text/event-stream parser (HTML Living Standard, "Server-sent events", §9.2.6
// "Interpreting an event stream"): bytes in, events out, no I/O. What a browser's EventSource
// does with the stream, minus the reconnect (that is the caller's job, with last_event_id()).
//
//   - lines end with CRLF, LF or CR (a CR at the end of one read and an LF at the start of the
//     next are one line end); a UTF-8 BOM at the very start is skipped;
//   - "field: value" (one space after the colon is dropped), "field" alone = empty value;
//   - data: appends value + "\n"; event: sets the type; id: sets the last event id (ignored
//     when it holds NUL); retry: sets the reconnection delay (digits only, else ignored);
//     other fields are ignored; a line starting with ':' is a comment;
//   - an empty line dispatches: with an empty data buffer nothing is dispatched (only the id
//     may have changed), otherwise the data minus its last "\n" goes out with the type
//     ("message" when none was set) and the last event id.
// The stream is bounded: a line or an event's data past `max_event_bytes` fails the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::proto {

inline constexpr size_t kMaxSseEventBytes = 1024 * 1024;

struct SseEvent {
  std::string_view type;  // "message" unless an event: field said otherwise
  std::string_view data;
  std::string_view id;  // the last event id at dispatch (it persists across events)
};

/// Receives what the parser finds, in stream order. Views are valid during the call only.
class SseSink {
 public:
  virtual void on_event(const SseEvent& event) = 0;
  virtual void on_comment(std::string_view text) {}
  virtual void on_retry(uint32_t ms) {}
  /// An id: field was processed (also for events that are never dispatched, such as an id-only
  /// block, which moves the resume point without data).
  virtual void on_id(std::string_view id) {}

 protected:
  ~SseSink() = default;
};

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = kMaxSseEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  /// Parses `bytes` (any split of the stream) and calls `sink` for what completes. Returns
  /// false once a line or an event exceeds the limit; the parser then stays failed.
  bool feed(std::string_view bytes, SseSink& sink);

  const std::string& last_event_id() const { return last_id_; }
  uint32_t retry_ms() const { return retry_ms_; }
  bool failed() const { return failed_; }
  /// Back to the start of a stream (a new connection); keeps last_event_id, as EventSource does.
  void reset_stream();

 private:
  void process_line(std::string_view line, SseSink& sink);
  void dispatch(SseSink& sink);

  size_t max_event_bytes_;
  std::string partial_;  // an incomplete line carried to the next feed()
  std::string data_;
  std::string type_;
  std::string last_id_;
  uint32_t retry_ms_ = 0;
  bool skip_lf_ = false;  // the previous feed ended with CR: a leading LF is its pair
  bool at_start_ = true;  // BOM check pending
  bool failed_ = false;
};

}  // namespace herald::proto
