#pragma once
// Incremental HTTP/1.1 request parser (RFC 9112), in the spirit of picohttpparser: pure (bytes
// in, complete / need-more / error out), zero-copy for the request line and headers, no I/O.
//
// The caller keeps every unread byte of the connection in one buffer and calls parse() with all
// of them each time more arrive. The parser remembers offsets (not pointers, since the buffer
// may move when it grows) of how far it got, so every byte is examined once: a header block or
// a large body arriving in many reads is never re-scanned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "http_codec/chunked.h"

namespace herald::http {

enum class Method { get, head, post, put, del, options, patch, other };

/// The canonical token of a method ("GET", ...); "OTHER" for Method::other.
std::string_view method_name(Method m);

struct Header {
  std::string_view name;
  std::string_view value;  // without leading/trailing whitespace
};

struct ParserLimits {
  size_t max_request_line = base::limits::kMaxRequestLine;  // bytes without CRLF -> 414
  size_t max_header_bytes = base::limits::kMaxHeaderBytes;  // request line + headers -> 431
  size_t max_header_count = base::limits::kMaxHeaderCount;  // -> 431
  size_t max_body = base::limits::kMaxBodyBytes;            // decoded body -> 413
};

struct Request {
  Method method = Method::other;
  std::string_view method_text;
  std::string_view target;  // raw request-target
  /// Target before '?', NOT decoded. For an absolute-form target (`http://host/p?q`) this is
  /// the part from the first '/' after the authority ("" when there is none).
  std::string_view path;
  std::string_view query;       // after '?', without '?'
  int version_minor = 1;        // 0 or 1 (HTTP/1.2+ is treated as 1.1, RFC 9110 §2.5)
  std::vector<Header> headers;  // views into the input
  /// The body, empty if none: a view into the input (Content-Length), or into the parser's
  /// de-chunked copy (chunked). Valid as long as the header views are.
  std::string_view body;
  bool keep_alive = true;  // HTTP/1.1: unless "Connection: close"; 1.0: only keep-alive
  bool upgrade = false;    // Connection has token "upgrade" and an Upgrade header exists

  /// First header with this name (case-insensitive), or an empty view and *found = false.
  std::string_view header(std::string_view name, bool* found = nullptr) const;
  /// True if a comma-separated header (any occurrence) has this token, case-insensitively,
  /// e.g. `Connection: keep-alive, Upgrade`.
  bool header_has_token(std::string_view name, std::string_view token) const;
};

enum class ParseStatus { complete, need_more, error };

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  size_t consumed = 0;            // bytes of the input this request used (complete only)
  int error_status = 0;           // HTTP status to answer on error: 400, 413, 414, 431, 501, 505
  const char* error_reason = "";  // short static text for logs and the error body
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  /// Parses the next request from `in` (all unread bytes of the connection, starting at the
  /// request). On `complete`, request() is valid and its views point into `in` until the
  /// caller consumes `consumed` bytes; on `need_more` nothing is consumed (call again with the
  /// same bytes plus more); on `error`, `error_status` is the HTTP status to answer and the
  /// connection must be closed after the answer (the error is sticky until reset()).
  /// Calling parse() after `complete` starts the next request, as reset() would.
  ParseResult parse(std::string_view in);

  /// The request parsed by the last `complete` parse().
  const Request& request() const { return req_; }
  /// The same, mutable.
  Request& request() { return req_; }

  /// Ready for the next request (pipelining); keeps allocated capacity.
  void reset();

  /// After a `need_more`: the header block is parsed and the body is still arriving.
  bool in_body() const;
  /// In the body of an HTTP/1.1 request whose Expect header is "100-continue" (RFC 9110
  /// §10.1.1): the client waits for an interim 100 before it sends the body. `in` is the
  /// same input the last parse() saw.
  bool expects_continue(std::string_view in) const;

 private:
  enum class State { request_line, headers, body_length, body_chunked, done, failed };
  struct Span {  // offsets into the input
    size_t off = 0;
    size_t len = 0;
  };
  struct HeaderSpan {
    Span name;
    Span value;
  };
  // What the header lines the parser acts on said, gathered as each line is split so the
  // header block is walked once (finish_headers() only judges these).
  struct Framing {
    size_t hosts = 0;
    bool has_cl = false;
    bool cl_ok = true;
    uint64_t content_length = 0;
    bool has_te = false;
    bool te_chunked_only = true;
    size_t te_codings = 0;
    bool conn_close = false;
    bool conn_keep_alive = false;
    bool conn_upgrade = false;
    bool has_upgrade = false;
  };

  // Each step consumes what it can and returns false when it needs more bytes; on an error
  // it sets state_ to failed (see fail()) and returns true.
  bool parse_request_line(std::string_view in);
  bool parse_headers(std::string_view in);
  // The common header line (token ':' SP* visible bytes CRLF) or the blank line that ends the
  // block, in one pass: 1 when a header line was taken, -1 at the blank line, 0 (nothing
  // consumed) for anything else, which parse_headers then judges as before.
  int fast_header_line(std::string_view in);
  void note_header(std::string_view name, std::string_view value);
  bool finish_headers();
  bool parse_body_length(std::string_view in);
  bool parse_body_chunked(std::string_view in);
  ChunkedOptions chunked_options() const;
  bool fail(int status, const char* reason);
  void fill_views(std::string_view in);
  std::string_view view(std::string_view in, Span s) const { return in.substr(s.off, s.len); }

  ParserLimits limits_;
  Request req_;
  State state_ = State::request_line;
  ParseResult error_;
  size_t pos_ = 0;            // start of the next unparsed line / body byte
  size_t scan_ = 0;           // next byte to search for '\n' (bytes in [pos_, scan_) have none)
  size_t request_start_ = 0;  // first byte of the request line (after skipped empty lines)
  size_t body_length_ = 0;    // Content-Length
  Span body_;                 // a Content-Length body in the input
  std::string chunked_body_;  // a chunked body, de-chunked
  ChunkedDecoder chunked_;    // Transfer-Encoding: chunked
  Span method_;
  Span target_;
  Span path_;
  Span query_;
  std::vector<HeaderSpan> header_spans_;
  Framing framing_;
  const char* views_base_ = nullptr;  // the input req_'s views were made from
};

}  // namespace herald::http
