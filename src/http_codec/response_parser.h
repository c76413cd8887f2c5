#pragma once
// Incremental HTTP/1.1 response parser (RFC 9112), the client-side mirror of RequestParser:
// pure (bytes in, complete / need-more / error out), zero-copy for the status line and the
// headers, no I/O. Used by herald's own clients (CLI, bench) to read the server's answers.
//
// Two ways to receive a body:
//   - buffered (default): like RequestParser, the caller passes every unread byte each time and
//     nothing is consumed until the response is complete; the decoded body is in `body`.
//   - streamed (ResponseMode::stream_body, for SSE and other endless bodies): the parser returns
//     `head` when the head is complete, then each later call decodes what body bytes it can,
//     APPENDS them to `body` (the caller may clear it between calls) and reports them consumed,
//     so the caller's buffer never holds more than a partial chunk-size line.
//
// Framing (RFC 9112 §6.3): no body for 1xx, 204, 304 and responses to HEAD (ResponseMode::
// no_body); `101 Switching Protocols` is complete at the end of its head (the bytes after it
// belong to the new protocol); Transfer-Encoding ending in chunked is de-chunked; otherwise
// Content-Length; otherwise the body runs until the server closes (call finish() on EOF).
// Leniency, on purpose: a client gains nothing by refusing a bare LF line ending (RFC 9112 §2.2
// lets a recipient accept it) or an empty reason phrase, so both are accepted. Transfer-Encoding
// together with Content-Length is refused (response splitting, RFC 9112 §6.3 item 3).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "http_codec/chunked.h"
#include "http_codec/parser.h"

namespace herald::http {

struct ResponseLimits {
  size_t max_header_bytes = base::limits::kMaxHeaderBytes;  // status line + headers
  size_t max_header_count = base::limits::kMaxHeaderCount;
  size_t max_body = base::limits::kMaxBodyBytes;  // buffered bodies only
};

/// How the body of a response is delimited.
enum class BodyFraming { none, length, chunked, until_close };

/// What the caller knows about the response it waits for; passed with every parse() call and
/// read when the head completes.
struct ResponseMode {
  bool no_body = false;      // the request was HEAD: headers describe a body that is not sent
  bool stream_body = false;  // return `head`, then hand out body bytes as they arrive
};

struct Response {
  int version_minor = 1;
  int status = 0;
  std::string_view reason;
  /// Views into the input, valid until the caller consumes (streamed: only with `head`).
  std::vector<Header> headers;
  /// Buffered mode: the whole decoded body. Streamed mode: decoded bytes appended since the
  /// caller last cleared it.
  std::string body;
  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;  // framing == length
  /// The connection may carry another response after this one (HTTP/1.1 without
  /// "Connection: close", 1.0 with "keep-alive", and a body not delimited by the close).
  bool keep_alive = true;

  /// First header with this name (case-insensitive), or empty and *found = false.
  std::string_view header(std::string_view name, bool* found = nullptr) const;
  /// True if a comma-separated header (any occurrence) holds `token`, case-insensitively.
  bool header_has_token(std::string_view name, std::string_view token) const;
};

enum class ResponseStatus {
  complete,   // the response is done: `consumed` bytes of the input were it
  head,       // streamed mode only: the head is done (`consumed` = its bytes); body follows
  need_more,  // buffered mode: nothing consumed; streamed body: `consumed` bytes were decoded
  error,      // malformed or over a limit; the connection is unusable (sticky until reset())
};

struct ResponseParseResult {
  ResponseStatus status = ResponseStatus::need_more;
  size_t consumed = 0;
  const char* error_reason = "";  // short static text
};

class ResponseParser {
 public:
  explicit ResponseParser(ResponseLimits limits = {});

  /// Parses the next response from `in` (all unread bytes, starting at the response or, in a
  /// streamed body, at the first byte not yet consumed). Views in response() point into `in`
  /// until the caller consumes. Calling parse() after `complete` starts the next response.
  ResponseParseResult parse(std::string_view in, ResponseMode mode = {});

  /// The server closed the connection; `in` holds the unread bytes. Completes a body delimited
  /// by the close (`complete`, consuming all of `in`); anything else cut short is an error
  /// ("closed before end of response"), and so is a close before any byte of a response.
  ResponseParseResult finish(std::string_view in, ResponseMode mode = {});

  const Response& response() const { return res_; }
  Response& response() { return res_; }

  /// True between the first byte of a response and its completion (a close now loses data).
  bool in_progress() const {
    return state_ != State::done && (state_ != State::status_line || scan_ > 0);
  }

  /// Ready for the next response; keeps allocated capacity.
  void reset();

 private:
  enum class State {
    status_line,
    headers,
    body_length,
    body_until_close,
    body_chunked,
    done,
    failed
  };
  struct Span {
    size_t off = 0;
    size_t len = 0;
  };
  struct HeaderSpan {
    Span name;
    Span value;
  };

  // Each step returns false when it needs more bytes; on error it calls fail() and returns true.
  bool parse_status_line(std::string_view in);
  bool parse_headers(std::string_view in, ResponseMode mode);
  bool finish_headers(std::string_view in, ResponseMode mode);
  bool parse_body_length(std::string_view in);
  bool parse_body_until_close(std::string_view in);
  bool parse_body_chunked(std::string_view in);
  bool fail(const char* reason);
  bool append_body(std::string_view bytes);
  void fill_views(std::string_view in);
  /// Streamed body: hands `pos_` bytes to the caller and makes offsets relative to what is left.
  size_t rebase();

  ResponseLimits limits_;
  Response res_;
  State state_ = State::status_line;
  bool streaming_ = false;  // the body of the current response is streamed
  ResponseParseResult error_;
  size_t pos_ = 0;          // next unparsed byte
  size_t scan_ = 0;         // next byte to search for '\n'
  uint64_t body_left_ = 0;  // Content-Length bytes still to come
  ChunkedDecoder chunked_;  // Transfer-Encoding ending in chunked
  Span reason_;
  std::vector<HeaderSpan> header_spans_;
};

}  // namespace herald::http
