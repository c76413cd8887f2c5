#pragma once
// The bench client's wire helpers, all pure: the payload it publishes (a timestamp and a
// sequence number padded to a size), lean scanners that pull an offset and a timestamp out of a
// push without a JSON parser, an HTTP/1.1 response head parser with a body de-chunker, and an
// SSE stream parser.
//
// Duplication to remove: the response parser and the SSE parser here are private minimal ones,
// written because src/http/response_parser.h and tools/cli's SSE parser had not landed when
// this was written; switch to them once they exist.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::bench {

// ---- payload ---------------------------------------------------------------------------------

/// Smallest data size that still holds the timestamp and the sequence number.
inline constexpr size_t kMinPayload = 48;

/// Appends the data value of one publication: {"t":T,"s":S,"p":"xxx..."} padded with 'x' so the
/// whole value is `size` bytes (or a little more when `size` < kMinPayload). `t_ns` is the
/// publisher's monotonic clock; `seq` a per-channel sequence (for servers without offsets).
void append_payload(std::string& out, uint64_t t_ns, uint64_t seq, size_t size);

/// Reads the unsigned integer that follows `key` (e.g. "\"offset\":") at or after `from`
/// (blanks after the key are skipped).
/// Returns the position just past the number, or npos when the key or the digits are missing.
size_t scan_uint(std::string_view s, std::string_view key, size_t from, uint64_t* value);

/// The fields of one delivered message that the bench needs.
struct Delivered {
  uint64_t offset = 0;  // herald offset, or the payload's "s" when has_offset is false
  bool has_offset = false;
  uint64_t t_ns = 0;  // publish timestamp from the payload (0 when absent)
  uint64_t seq = 0;
};

/// Extracts offset, "t" and "s" from a herald push ({"channel":..,"offset":N,"data":{"t":..}})
/// or from a bare payload ({"t":..,"s":..}, what Nchan delivers). Scans from `from`; returns the
/// position after the message's "s" value (so a caller can walk a poll answer's array), or npos
/// when no timestamp is found.
size_t extract_delivered(std::string_view s, size_t from, Delivered* out);

/// The string value of the last member named by `key` (a quoted name, e.g. "\"cursor\""),
/// blanks allowed around the colon; searched from the end (rfind), so a poll answer's trailing
/// cursor is found after its messages. Empty when absent or not a string.
std::string_view find_string_field_last(std::string_view s, std::string_view key);

// ---- HTTP response head ------------------------------------------------------------------------

struct ResponseHead {
  int status = 0;
  bool has_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool close = false;  // Connection: close (or HTTP/1.0 without keep-alive)
  std::string_view upgrade, connection, accept, protocol, etag, last_modified;
};

inline constexpr size_t kMaxResponseHead = 16 * 1024;

enum class HeadStatus { complete, need_more, error };

/// Parses a response head from the start of `in`. On complete, `*consumed` is the head's size
/// and the views in `*out` point into `in`. An over-long head (kMaxResponseHead) is an error.
HeadStatus parse_response_head(std::string_view in, ResponseHead* out, size_t* consumed);

/// Incremental de-chunker for Transfer-Encoding: chunked bodies (RFC 9112 §7.1); trailers are
/// skipped. feed() appends decoded bytes to `sink` and returns the bytes of `in` used.
class Dechunker {
 public:
  size_t feed(std::string_view in, std::string& sink);
  bool done() const { return state_ == State::done; }
  bool failed() const { return state_ == State::error; }
  void reset() { state_ = State::size, size_ = 0, left_ = 0; }

 private:
  enum class State {
    size,
    size_ext,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer,
    trailer_lf,
    done,
    error
  };
  State state_ = State::size;
  uint64_t size_ = 0;
  uint64_t left_ = 0;
  bool trailer_empty_ = true;
};

// ---- SSE ---------------------------------------------------------------------------------------

/// Minimal SSE stream parser (HTML §9.2.6): lines ending in LF, CRLF or CR; "data:" lines joined
/// with "\n"; "id:" and "event:"; comments skipped; a blank line dispatches. Buffers at most
/// `max_event` bytes of one event (more is an error, so a broken server cannot grow it).
class SseParser {
 public:
  explicit SseParser(size_t max_event = 1 << 20) : max_event_(max_event) {}

  struct Event {
    std::string_view event;  // "" for the default "message"
    std::string_view data;
    std::string_view id;  // the last id seen in this event ("" if none)
    bool has_id = false;
  };
  /// Feeds bytes; calls fn(const Event&) for each complete event. Returns false on overflow.
  template <typename Fn>
  bool feed(std::string_view in, Fn&& fn) {
    for (char c : in) {
      if (!push(c)) return false;
      if (ready_) {
        fn(Event{event_, data_, id_, has_id_});
        clear_event();
      }
    }
    return true;
  }

 private:
  bool push(char c);
  void end_line();
  void clear_event();

  size_t max_event_;
  std::string line_;
  bool after_cr_ = false;
  bool ready_ = false;
  std::string event_, data_, id_;
  bool has_data_ = false;
  bool has_id_ = false;
};

}  // namespace herald::bench
