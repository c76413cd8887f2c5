#pragma once
// The bench client's payload helpers, all pure: the payload it publishes (a timestamp and a
// sequence number padded to a size) and lean scanners that pull an offset and a timestamp out
// of a push without a JSON parser (the bench must not be the bottleneck it measures).
// Responses and event streams are read with the project's own codecs: http::ResponseParser
// (src/http/response_parser.h) and proto::SseParser (src/proto/sse_parser.h).
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

}  // namespace herald::bench
