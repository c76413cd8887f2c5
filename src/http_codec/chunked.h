#pragma once
// Decoder of the chunked transfer coding (RFC 9112 §7.1), shared by RequestParser and
// ResponseParser. Like them it is pure and incremental: it reads the caller's buffer from the
// caller's position, remembers offsets (not pointers) of how far it scanned, appends each
// chunk's data to a sink once as it arrives, and never copies anything else.
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   last-chunk   = 1*"0" [ chunk-ext ] CRLF
//
// What differs between the two parsers is an option, not a copy: the server refuses a bare LF
// line ending (a front proxy that reads it differently is how request smuggling starts) while
// the client accepts one (RFC 9112 §2.2 lets a recipient), and each has its own limits.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "base/limits.h"

namespace herald::http {

/// A chunk-size line (hex size and extensions) longer than this is refused: sizes need at most
/// 16 hex digits and nobody has a use for kilobytes of chunk extensions.
inline constexpr size_t kMaxChunkLineBytes = 4096;

struct ChunkedOptions {
  /// Accept a bare LF wherever CRLF ends a line (chunk-size lines, after chunk data, trailers).
  bool allow_bare_lf = false;
  /// Decoded bytes in all; more is ChunkedError::body_too_large. No limit by default (a
  /// streamed body whose caller drains the sink).
  uint64_t max_body = std::numeric_limits<uint64_t>::max();
  /// A chunk-size line, its line ending included (malformed when longer).
  size_t max_chunk_line = kMaxChunkLineBytes;
  /// The trailer section, its final empty line included (ChunkedError::trailers_too_large).
  size_t max_trailer_bytes = base::limits::kMaxHeaderBytes;
};

/// Why decoding failed; the request parser answers 400, 413 and 431 for these.
enum class ChunkedError : uint8_t { none, malformed, body_too_large, trailers_too_large };

class ChunkedDecoder {
 public:
  enum class Status { done, need_more, error };

  explicit ChunkedDecoder(ChunkedOptions options = {}) : options_(options) {}

  /// Decodes what it can of `in` from `*pos` (the first byte of the chunked body on the first
  /// call), appends chunk data to `*sink` and advances `*pos` past every byte it used. `done`:
  /// the body and its trailers ended, `*pos` is the byte after them. `need_more`: call again
  /// with the same bytes (or, after rebase(), what follows the dropped ones) plus more.
  /// `error`: sticky; error() and error_reason() say why. Trailer fields are validated like
  /// header fields, then ignored: nothing after the body may change its framing or routing.
  Status decode(std::string_view in, size_t* pos, std::string* sink);

  /// The caller dropped the first `dropped` bytes of its buffer (all of them before `*pos`):
  /// offsets the decoder kept move with them. Used by streamed bodies.
  void rebase(size_t dropped) { scan_ = scan_ > dropped ? scan_ - dropped : 0; }

  ChunkedError error() const { return error_; }
  /// Short static text for logs and error bodies ("" unless decode() returned `error`).
  const char* error_reason() const { return reason_; }
  /// Offset up to which the input was searched for a line end: later calls must pass at least
  /// this many bytes.
  size_t scanned() const { return scan_; }
  /// Decoded bytes so far (whatever the caller did with the sink).
  uint64_t decoded() const { return decoded_; }

 private:
  enum class Phase : uint8_t { size_line, data, data_crlf, trailers, done, failed };

  // Each step consumes what it can and returns false when it needs more bytes; on an error it
  // sets phase_ to failed (see fail()) and returns true.
  bool parse_size_line(std::string_view in, size_t* pos);
  bool parse_data(std::string_view in, size_t* pos, std::string* sink);
  bool parse_data_crlf(std::string_view in, size_t* pos);
  bool parse_trailers(std::string_view in, size_t* pos);
  bool fail(ChunkedError error, const char* reason);
  /// True when the line ending at the '\n' at `lf` may end there (CRLF, or LF if allowed).
  bool line_end_ok(std::string_view in, size_t pos, size_t lf) const;

  ChunkedOptions options_;
  Phase phase_ = Phase::size_line;
  ChunkedError error_ = ChunkedError::none;
  const char* reason_ = "";
  size_t scan_ = 0;           // next byte to search for '\n'
  uint64_t chunk_left_ = 0;   // bytes of the current chunk still to come
  uint64_t decoded_ = 0;      // chunk data bytes so far
  size_t trailer_bytes_ = 0;  // complete trailer lines so far, line endings included
};

}  // namespace herald::http
