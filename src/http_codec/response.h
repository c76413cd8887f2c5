#pragma once
// Pure HTTP/1.1 response serialisation: status line, headers and body into one string, sized
// up front so a response costs one allocation. Chunked framing helpers for streamed bodies,
// the reason-phrase table and a per-second cache of the Date header.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http_codec/parser.h"

namespace herald::http {

/// The standard reason phrase of `status` ("OK", "Not Found"...); "Unknown" if not in the table.
std::string_view reason_phrase(int status);

/// What the Connection header of a response says.
enum class ConnectionHeader {
  none,        // no header: HTTP/1.1 default (keep-alive)
  keep_alive,  // "Connection: keep-alive", needed by HTTP/1.0 clients that asked for it
  close,       // "Connection: close": the server closes after this response
};

/// The Connection header to send to the client of `req`: close when the client or the server
/// (`server_closes`) wants it, keep-alive for an HTTP/1.0 client that asked, else none.
ConnectionHeader connection_header_for(const Request& req, bool server_closes);

/// The head of a response. Views must stay valid only during the call that serialises it.
struct ResponseHead {
  int status = 200;
  std::string_view content_type;  // "Content-Type" when not empty
  std::string_view date;          // "Date" when not empty (a DateCache value)
  ConnectionHeader connection = ConnectionHeader::none;
  std::span<const Header> headers;  // extra headers, written as given
};

/// Appends a complete response with `Content-Length: body.size()`. With `head_only` (a HEAD
/// request) the headers are the same but no body bytes are written. Reserves the exact size,
/// so `out` grows at most once.
void append_response(std::string& out, const ResponseHead& head, std::string_view body,
                     bool head_only = false);

/// Returns append_response() into a new string (exactly one allocation).
std::string make_response(const ResponseHead& head, std::string_view body, bool head_only = false);

/// Appends the head of a streamed response with "Transfer-Encoding: chunked"; the body then
/// follows as append_chunk() calls and ends with append_last_chunk().
void append_chunked_head(std::string& out, const ResponseHead& head);

/// Appends one chunk (hex size, CRLF, data, CRLF). An empty `data` appends nothing, since an
/// empty chunk would end the body.
void append_chunk(std::string& out, std::string_view data);

/// Appends the last chunk "0\r\n\r\n" that ends a chunked body.
void append_last_chunk(std::string& out);

/// Appends a head that has neither Content-Length nor chunked framing (for SSE and upgrade
/// responses, whose body is a stream delimited by the connection).
void append_stream_head(std::string& out, const ResponseHead& head);

/// Formats the IMF-fixdate of the `Date:` header ("Sun, 06 Nov 1994 08:49:37 GMT") at most once
/// per second: the loop calls update() with its cached wall clock each iteration.
class DateCache {
 public:
  DateCache() { update(0); }
  /// Reformats only if `unix_seconds` differs from the last call.
  void update(int64_t unix_seconds);
  /// The current value, without "Date: " and CRLF. Valid until the next update().
  std::string_view value() const { return {buf_, len_}; }

 private:
  int64_t second_ = -1;
  char buf_[32] = {};
  size_t len_ = 0;
};

/// Formats `unix_seconds` as an IMF-fixdate into `out` (at least 29 bytes); returns the length.
size_t format_imf_fixdate(int64_t unix_seconds, char* out);

}  // namespace herald::http
