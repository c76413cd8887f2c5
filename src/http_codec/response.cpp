#include "http_codec/response.h"

#include <cassert>
#include <charconv>
#include <cstring>

namespace herald::http {
namespace {

enum class Framing { content_length, chunked, stream };

size_t decimal_digits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string_view connection_line(ConnectionHeader c) {
  switch (c) {
    case ConnectionHeader::none:
      return {};
    case ConnectionHeader::keep_alive:
      return "Connection: keep-alive\r\n";
    case ConnectionHeader::close:
      return "Connection: close\r\n";
  }
  return {};
}

// A status outside 100..999 would not fit the three digits of the status line.
int valid_status(int status) {
  return (status >= 100 && status <= 999) ? status : 500;
}

size_t head_size(const ResponseHead& head, Framing framing, size_t body_size) {
  size_t n =
      9 + 3 + 1 + reason_phrase(valid_status(head.status)).size() + 2;     // "HTTP/1.1 200 OK\r\n"
  if (!head.content_type.empty()) n += 14 + head.content_type.size() + 2;  // "Content-Type: "
  if (!head.date.empty()) n += 6 + head.date.size() + 2;                   // "Date: "
  n += connection_line(head.connection).size();
  for (const Header& h : head.headers) n += h.name.size() + 2 + h.value.size() + 2;
  if (framing == Framing::content_length) n += 16 + decimal_digits(body_size) + 2;
  if (framing == Framing::chunked) n += 28;  // "Transfer-Encoding: chunked\r\n"
  return n + 2;
}

// Writes the head at `p`, which has exactly head_size() bytes: plain copies, no per-piece
// capacity checks (a response head is a dozen small pieces).
class HeadWriter {
 public:
  explicit HeadWriter(char* p) : p_(p) {}
  HeadWriter& put(std::string_view s) {
    if (s.empty()) return *this;  // an empty view may have a null data()
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
    return *this;
  }
  HeadWriter& line(std::string_view name, std::string_view value) {
    return put(name).put(": ").put(value).put("\r\n");
  }
  char* end() const { return p_; }

 private:
  char* p_;
};

// `size` is head_size(head, framing, body_size), which the caller may have needed already.
void append_head(std::string& out, const ResponseHead& head, Framing framing, size_t body_size,
                 size_t size) {
  size_t old = out.size();
  out.resize(old + size);
  HeadWriter w(out.data() + old);
  char num[24];
  int status = valid_status(head.status);
  auto r = std::to_chars(num, num + sizeof num, status);
  w.put("HTTP/1.1 ").put(std::string_view(num, static_cast<size_t>(r.ptr - num))).put(" ");
  w.put(reason_phrase(status)).put("\r\n");
  if (!head.date.empty()) w.line("Date", head.date);
  if (!head.content_type.empty()) w.line("Content-Type", head.content_type);
  w.put(connection_line(head.connection));
  for (const Header& h : head.headers) w.line(h.name, h.value);
  if (framing == Framing::content_length) {
    r = std::to_chars(num, num + sizeof num, static_cast<uint64_t>(body_size));
    w.line("Content-Length", std::string_view(num, static_cast<size_t>(r.ptr - num)));
  } else if (framing == Framing::chunked) {
    w.put("Transfer-Encoding: chunked\r\n");
  }
  w.put("\r\n");
  // head_size() counts exactly what is written above.
  assert(w.end() == out.data() + old + size);
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

ConnectionHeader connection_header_for(const Request& req, bool server_closes) {
  if (server_closes || !req.keep_alive) return ConnectionHeader::close;
  return req.version_minor == 0 ? ConnectionHeader::keep_alive : ConnectionHeader::none;
}

namespace {

// The head of an answer without extra headers, up to its Content-Length line, is the same for
// every answer of one kind within a second: same status, type, date and Connection line. The
// last one written on this thread is kept and copied whole when the next answer is of the same
// kind (every answer to a stream of publishes is), instead of being written piece by piece.
struct HeadPrefix {
  int status = 0;
  ConnectionHeader connection = ConnectionHeader::none;
  std::string content_type;
  std::string date;
  std::string bytes;  // "HTTP/1.1 ...\r\n" up to, not including, "Content-Length: "
};
thread_local HeadPrefix t_prefix;

void append_with_length(std::string& out, const ResponseHead& head, int status,
                        std::string_view body, bool head_only) {
  HeadPrefix& k = t_prefix;
  if (k.status != status || k.connection != head.connection || k.date != head.date ||
      k.content_type != head.content_type) {
    ResponseHead prefix_head = head;
    prefix_head.status = status;
    k.bytes.clear();
    append_head(k.bytes, prefix_head, Framing::stream, 0,
                head_size(prefix_head, Framing::stream, 0));
    k.bytes.resize(k.bytes.size() - 2);  // without the blank line that ends a head
    k.status = status;
    k.connection = head.connection;
    k.content_type.assign(head.content_type);
    k.date.assign(head.date);
  }
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, static_cast<uint64_t>(body.size()));
  static constexpr std::string_view kLength = "Content-Length: ";
  out.reserve(out.size() + k.bytes.size() + kLength.size() + size_t(r.ptr - num) + 4 +
              (head_only ? 0 : body.size()));
  out.append(k.bytes).append(kLength).append(num, r.ptr).append("\r\n\r\n");
  if (!head_only) out.append(body);
}

}  // namespace

void append_response(std::string& out, const ResponseHead& head, std::string_view body,
                     bool head_only) {
  // 1xx, 204 and 304 have no body and, for 1xx and 204, must not carry Content-Length
  // (RFC 9110 §8.6); a 304 may, but there is nothing useful to say.
  int status = valid_status(head.status);
  bool bodyless = status < 200 || status == 204 || status == 304;
  Framing framing = bodyless ? Framing::stream : Framing::content_length;
  if (bodyless) {
    body = {};
    head_only = true;
  }
  if (!bodyless && head.headers.empty())
    return append_with_length(out, head, status, body, head_only);
  size_t head_bytes = head_size(head, framing, body.size());
  out.reserve(out.size() + head_bytes + (head_only ? 0 : body.size()));
  append_head(out, head, framing, body.size(), head_bytes);
  if (!head_only) out.append(body);
}

std::string make_response(const ResponseHead& head, std::string_view body, bool head_only) {
  std::string out;
  append_response(out, head, body, head_only);
  return out;
}

void append_chunked_head(std::string& out, const ResponseHead& head) {
  append_head(out, head, Framing::chunked, 0, head_size(head, Framing::chunked, 0));
}

void append_stream_head(std::string& out, const ResponseHead& head) {
  append_head(out, head, Framing::stream, 0, head_size(head, Framing::stream, 0));
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char hex[20];
  auto r = std::to_chars(hex, hex + sizeof hex, static_cast<uint64_t>(data.size()), 16);
  out.reserve(out.size() + static_cast<size_t>(r.ptr - hex) + 4 + data.size());
  out.append(hex, r.ptr).append("\r\n").append(data).append("\r\n");
}

void append_last_chunk(std::string& out) {
  out.append("0\r\n\r\n");
}

size_t format_imf_fixdate(int64_t unix_seconds, char* out) {
  static constexpr char kDays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant): proleptic Gregorian date of a day count since 1970-01-01,
  // computed here rather than with gmtime_r so the result never depends on the environment.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  int64_t wday = ((days % 7) + 7) % 7;  // 1970-01-01 was a Thursday

  auto two = [](char* p, int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  std::memcpy(out, kDays[wday], 3);
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, day);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[month - 1], 3);
  out[11] = ' ';
  two(out + 12, year / 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, secs / 3600);
  out[19] = ':';
  two(out + 20, secs / 60 % 60);
  out[22] = ':';
  two(out + 23, secs % 60);
  std::memcpy(out + 25, " GMT", 4);
  return 29;
}

void DateCache::update(int64_t unix_seconds) {
  if (unix_seconds == second_) return;
  second_ = unix_seconds;
  len_ = format_imf_fixdate(unix_seconds, buf_);
}

}  // namespace herald::http
