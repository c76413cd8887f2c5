#include "http_codec/parser.h"
#include "http_codec/syntax.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace herald::http {
namespace {

using namespace syntax;  // shared lexical rules (http/syntax.h)

// Empty lines tolerated before a request line (RFC 9112 §2.2: old clients send a CRLF after a
// POST body). A handful is enough; a stream of them is an attack, not a client.
constexpr size_t kMaxLeadingEmptyLines = 8;

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
//         "~" / DIGIT / ALPHA   (RFC 9110 §5.6.2)
// request-target bytes: visible ASCII only (RFC 3986 never needs more).
bool is_target_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}
Method method_from(std::string_view m) {
  // Methods are case-sensitive (RFC 9110 §9.1).
  if (m == "GET") return Method::get;
  if (m == "HEAD") return Method::head;
  if (m == "POST") return Method::post;
  if (m == "PUT") return Method::put;
  if (m == "DELETE") return Method::del;
  if (m == "OPTIONS") return Method::options;
  if (m == "PATCH") return Method::patch;
  return Method::other;
}

// `name` (token characters only) equals the lowercase `lit` (letters and '-') ignoring case.
// Setting bit 0x20 lowercases a letter and keeps '-'; the only other byte it maps onto '-' is
// CR, which is no token character: so eight bytes are compared at a time.
bool token_equals_lower(std::string_view name, std::string_view lit) {
  if (name.size() != lit.size()) return false;
  size_t k = 0;
  uint64_t diff = 0;
  for (; k + 8 <= name.size(); k += 8) {
    uint64_t a, b;
    std::memcpy(&a, name.data() + k, 8);
    std::memcpy(&b, lit.data() + k, 8);
    diff |= (a | 0x2020202020202020ull) ^ b;
  }
  for (; k < name.size(); ++k) diff |= uint8_t((name[k] | 0x20) ^ lit[k]);
  return diff == 0;
}

// The header names the parser acts on. Recognised by length first: most lines are told apart
// by their size alone, and at most one compare runs per line.
enum class KnownHeader : uint8_t {
  other,
  host,
  upgrade,
  connection,
  content_length,
  transfer_encoding
};

KnownHeader known_header(std::string_view name) {
  auto is = [name](std::string_view lit, KnownHeader k) {
    return token_equals_lower(name, lit) ? k : KnownHeader::other;
  };
  switch (name.size()) {
    case 4:
      return is("host", KnownHeader::host);
    case 7:
      return is("upgrade", KnownHeader::upgrade);
    case 10:
      return is("connection", KnownHeader::connection);
    case 14:
      return is("content-length", KnownHeader::content_length);
    case 17:
      return is("transfer-encoding", KnownHeader::transfer_encoding);
    default:
      return KnownHeader::other;
  }
}

#if defined(__SSE2__)
// Walks [p, end) 16 bytes at a time: the first byte whose bit `stops` sets in the block's mask,
// or the start of the last, shorter block (the caller's byte-wise loop finishes it).
template <typename Stops>
[[gnu::always_inline]] inline const char* scan_blocks(const char* p, const char* end, Stops stops) {
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(stops(v)));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
  return p;
}

// x <= n (unsigned), bytewise: min(x, n) == x.
[[gnu::always_inline]] inline __m128i at_most(__m128i x, __m128i n) {
  return _mm_cmpeq_epi8(_mm_min_epu8(x, n), x);
}
#endif

// The first byte in [p, end) that is not a request-target byte (is_target_char), or `end`.
const char* skip_target_chars(const char* p, const char* end) {
#if defined(__SSE2__)
  p = scan_blocks(p, end, [](__m128i v) {
    // Signed: bytes >= 0x80 are negative, so "less than 0x21" takes them with the controls.
    return _mm_or_si128(_mm_cmpgt_epi8(_mm_set1_epi8(0x21), v),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
  });
#endif
  while (p < end && is_target_char(*p)) ++p;
  return p;
}

// The first byte in [p, end) that is not a letter, digit or '-' (what header names are made
// of), or the start of the last, shorter block. Other token characters and that block are left
// to the caller's byte-wise loop.
const char* skip_name_chars(const char* p, const char* end) {
#if defined(__SSE2__)
  p = scan_blocks(p, end, [](__m128i v) {
    __m128i letter = at_most(_mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')),
                             _mm_set1_epi8('z' - 'a'));
    __m128i digit = at_most(_mm_sub_epi8(v, _mm_set1_epi8('0')), _mm_set1_epi8(9));
    __m128i ok = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    return _mm_xor_si128(ok, _mm_set1_epi8(-1));  // the bytes that are none of them
  });
#endif
  return p;
}

// The first byte in [p, end) that may not appear in a field value as it is (a control
// character, HTAB included, or DEL), or `end`. HTAB is legal in a value but rare: stopping at it
// sends the line to the careful path, which keeps this scan a plain range test.
const char* find_value_stop(const char* p, const char* end) {
#if defined(__SSE2__)
  p = scan_blocks(p, end, [](__m128i v) {
    return _mm_or_si128(at_most(v, _mm_set1_epi8(0x1f)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
  });
#endif
  for (; p < end; ++p) {
    auto u = static_cast<unsigned char>(*p);
    if (u < 0x20 || u == 0x7f) return p;
  }
  return end;
}

}  // namespace

std::string_view method_name(Method m) {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::patch:
      return "PATCH";
    case Method::other:
      break;
  }
  return "OTHER";
}

std::string_view Request::header(std::string_view name, bool* found) const {
  return syntax::find_header(headers, name, found);
}

bool Request::header_has_token(std::string_view name, std::string_view token) const {
  return syntax::headers_have_token(headers, name, token);
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

ChunkedOptions RequestParser::chunked_options() const {
  // Bare LF refused, as everywhere in a request (see parse_request_line); trailers share the
  // header block's limit.
  return {.allow_bare_lf = false,
          .max_body = limits_.max_body,
          .max_chunk_line = kMaxChunkLineBytes,
          .max_trailer_bytes = limits_.max_header_bytes};
}

void RequestParser::reset() {
  state_ = State::request_line;
  error_ = ParseResult{};
  pos_ = scan_ = request_start_ = body_length_ = 0;
  method_ = target_ = path_ = query_ = Span{};
  header_spans_.clear();
  framing_ = Framing{};
  views_base_ = nullptr;
  req_.method = Method::other;
  req_.method_text = req_.target = req_.path = req_.query = {};
  req_.version_minor = 1;
  req_.headers.clear();
  req_.body = {};
  body_ = Span{};
  chunked_body_.clear();
  req_.keep_alive = true;
  req_.upgrade = false;
}

ParseResult RequestParser::parse(std::string_view in) {
  if (state_ == State::done) reset();
  // The caller must pass at least the bytes it passed before (nothing is consumed until done).
  // A shorter input is a bug in the caller; answer it as an error rather than read out of range.
  size_t seen = std::max(pos_, scan_);
  if (state_ == State::body_chunked) seen = std::max(seen, chunked_.scanned());
  assert(state_ == State::failed || in.size() >= seen);
  if (state_ != State::failed && in.size() < seen) fail(500, "input shrank between calls");
  while (true) {
    bool progressed = false;
    switch (state_) {
      case State::request_line:
        progressed = parse_request_line(in);
        break;
      case State::headers:
        progressed = parse_headers(in);
        break;
      case State::body_length:
        progressed = parse_body_length(in);
        break;
      case State::body_chunked:
        progressed = parse_body_chunked(in);
        break;
      case State::done:
        // The views are made once, here (a body may arrive in later reads and move the
        // buffer); a second parse() of the same completed request reuses them.
        if (in.data() != views_base_) fill_views(in);
        return {ParseStatus::complete, pos_, 0, ""};
      case State::failed:
        return error_;
    }
    if (!progressed) return {ParseStatus::need_more, 0, 0, ""};
  }
}

bool RequestParser::fail(int status, const char* reason) {
  state_ = State::failed;
  error_ = {ParseStatus::error, 0, status, reason};
  return true;
}

// Policy on line endings: only CRLF ends a line. A bare LF is rejected (400) rather than
// tolerated as RFC 9112 §2.2 permits, because a front proxy that treats it differently is how
// request smuggling starts, and no real client sends one.
bool RequestParser::parse_request_line(std::string_view in) {
  // Skip empty lines before the request line (RFC 9112 §2.2), a few at most.
  while (scan_ == pos_ && pos_ < in.size() && (in[pos_] == '\r' || in[pos_] == '\n')) {
    if (in[pos_] == '\n') return fail(400, "bare LF");
    if (pos_ + 1 >= in.size()) return false;
    if (in[pos_ + 1] != '\n') return fail(400, "bare CR");
    pos_ += 2;
    scan_ = pos_;
    if (pos_ > 2 * kMaxLeadingEmptyLines) return fail(400, "too many empty lines");
  }
  request_start_ = pos_;

  size_t lf = find_lf(in, scan_);
  if (lf == std::string_view::npos) {
    scan_ = in.size();
    // A request line longer than the limit is refused before its end arrives.
    size_t seen = in.size() - pos_;
    if (seen > 0 && in.back() == '\r') --seen;
    if (seen > limits_.max_request_line) return fail(414, "request line too long");
    return false;
  }
  size_t line_len = lf - pos_;  // > 0: a leading '\n' was handled above
  if (in[lf - 1] == '\r') --line_len;
  if (line_len > limits_.max_request_line) return fail(414, "request line too long");
  if (in[lf - 1] != '\r') return fail(400, "bare LF");
  std::string_view line = in.substr(pos_, line_len);

  // method SP request-target SP HTTP-version
  size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') return fail(400, "invalid method");
  method_ = {pos_, i};
  size_t t = ++i;
  i = size_t(skip_target_chars(line.data() + i, line.data() + line.size()) - line.data());
  if (i == t || i == line.size() || line[i] != ' ') return fail(400, "invalid request target");
  target_ = {pos_ + t, i - t};
  std::string_view version = line.substr(i + 1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !digit(version[5]) ||
      version[6] != '.' || !digit(version[7])) {
    return fail(400, "invalid HTTP version");
  }
  if (version[5] != '1') return fail(505, "HTTP version not supported");
  // A higher 1.x minor is processed as the highest we implement (RFC 9110 §2.5).
  req_.version_minor = version[7] == '0' ? 0 : 1;
  req_.method = method_from(line.substr(0, method_.len));

  // path and query. origin-form "/p?q"; absolute-form "http://host/p?q" -> path "/p";
  // authority-form and asterisk-form keep the whole target as the path.
  std::string_view target = in.substr(target_.off, target_.len);
  size_t path_begin = 0;
  size_t q = target.find('?');
  // Only a target that does not start with '/' can be absolute-form: origin-form skips the
  // search for "://".
  size_t scheme_end =
      !target.empty() && target[0] != '/' ? target.find("://") : std::string_view::npos;
  if (scheme_end != std::string_view::npos && scheme_end < q) {
    size_t slash = target.find('/', scheme_end + 3);
    path_begin =
        (slash == std::string_view::npos || slash > q) ? std::min(q, target.size()) : slash;
  }
  size_t path_end = std::min(q, target.size());
  path_ = {target_.off + path_begin, path_end - path_begin};
  if (q != std::string_view::npos) query_ = {target_.off + q + 1, target.size() - q - 1};

  pos_ = scan_ = lf + 1;
  state_ = State::headers;
  return true;
}

bool RequestParser::parse_headers(std::string_view in) {
  while (true) {
    if (scan_ == pos_) {
      int fast = fast_header_line(in);
      if (fast > 0) continue;
      if (fast < 0) return finish_headers();
    }
    size_t lf = find_lf(in, scan_);
    if (lf == std::string_view::npos) {
      scan_ = in.size();
      if (in.size() - request_start_ > limits_.max_header_bytes) {
        return fail(431, "header block too large");
      }
      return false;
    }
    if (lf + 1 - request_start_ > limits_.max_header_bytes) {
      return fail(431, "header block too large");
    }
    if (lf == pos_ || in[lf - 1] != '\r') return fail(400, "bare LF");
    std::string_view line = in.substr(pos_, lf - 1 - pos_);
    size_t line_start = pos_;
    pos_ = scan_ = lf + 1;
    if (line.empty()) return finish_headers();

    size_t name_len = 0, value_off = 0, value_len = 0;
    if (const char* reason = split_field_line(line, &name_len, &value_off, &value_len)) {
      return fail(400, reason);
    }
    if (header_spans_.size() >= limits_.max_header_count) return fail(431, "too many headers");
    header_spans_.push_back({{line_start, name_len}, {line_start + value_off, value_len}});
    note_header(line.substr(0, name_len), line.substr(value_off, value_len));
  }
}

int RequestParser::fast_header_line(std::string_view in) {
  const char* line = in.data() + pos_;
  const char* end = in.data() + in.size();
  if (end - line >= 2 && line[0] == '\r' && line[1] == '\n') {
    if (size_t(line + 2 - in.data()) - request_start_ > limits_.max_header_bytes) return 0;
    pos_ = scan_ = pos_ + 2;
    return -1;
  }
  const char* p = skip_name_chars(line, end);
  while (p < end && is_tchar(*p)) ++p;
  if (p == line || p == end || *p != ':') return 0;
  size_t name_len = size_t(p - line);
  ++p;
  while (p < end && *p == ' ') ++p;
  const char* value = p;
  const char* stop = find_value_stop(p, end);
  // Only CRLF may end the line here; anything else (HTAB, a bare CR or LF, a control byte, the
  // end of the input) is the careful path's to judge.
  if (end - stop < 2 || stop[0] != '\r' || stop[1] != '\n') return 0;
  size_t next = size_t(stop + 2 - in.data());
  if (next - request_start_ > limits_.max_header_bytes) return 0;
  if (header_spans_.size() >= limits_.max_header_count) return 0;
  const char* value_end = stop;
  while (value_end > value && value_end[-1] == ' ') --value_end;
  size_t value_off = size_t(value - in.data());
  size_t value_len = size_t(value_end - value);
  header_spans_.push_back({{pos_, name_len}, {value_off, value_len}});
  note_header(std::string_view(line, name_len), std::string_view(value, value_len));
  pos_ = scan_ = next;
  return 1;
}

void RequestParser::note_header(std::string_view name, std::string_view value) {
  Framing& f = framing_;
  switch (known_header(name)) {
    case KnownHeader::other:
      return;
    case KnownHeader::host:
      ++f.hosts;
      return;
    case KnownHeader::upgrade:
      f.has_upgrade = true;
      return;
    case KnownHeader::connection:
      for_each_element(value, [&](std::string_view e) {
        f.conn_close = f.conn_close || iequals(e, "close");
        f.conn_keep_alive = f.conn_keep_alive || iequals(e, "keep-alive");
        f.conn_upgrade = f.conn_upgrade || iequals(e, "upgrade");
      });
      return;
    case KnownHeader::content_length:
      f.cl_ok = parse_content_length(value, &f.has_cl, &f.content_length) && f.cl_ok;
      f.has_cl = true;
      return;
    case KnownHeader::transfer_encoding:
      f.has_te = true;
      for_each_element(value, [&](std::string_view e) {
        ++f.te_codings;
        f.te_chunked_only = f.te_chunked_only && iequals(e, "chunked");
      });
      return;
  }
}

bool RequestParser::finish_headers() {
  const Framing& f = framing_;
  // RFC 9112 §3.2: a 1.1 request without Host, or with several, is a 400.
  if (req_.version_minor == 1 && f.hosts == 0) return fail(400, "missing Host");
  if (f.hosts > 1) return fail(400, "duplicate Host");
  if (!f.cl_ok) return fail(400, "invalid Content-Length");
  // Both framings at once is the classic smuggling setup (RFC 9112 §6.3): refuse.
  if (f.has_te && f.has_cl) return fail(400, "Transfer-Encoding with Content-Length");
  if (f.has_te && req_.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0");
  if (f.has_te && (f.te_codings != 1 || !f.te_chunked_only)) {
    return fail(501, "unsupported Transfer-Encoding");
  }
  if (f.has_cl && f.content_length > limits_.max_body) return fail(413, "body too large");

  req_.keep_alive = req_.version_minor == 1 ? !f.conn_close : !f.conn_close && f.conn_keep_alive;
  req_.upgrade = f.has_upgrade && f.conn_upgrade;

  if (f.has_te) {
    // A fresh decoder per chunked request, so requests without one pay nothing for it.
    chunked_ = ChunkedDecoder(chunked_options());
    state_ = State::body_chunked;
  } else if (f.content_length > 0) {
    body_length_ = static_cast<size_t>(f.content_length);
    state_ = State::body_length;
  } else {
    state_ = State::done;
  }
  return true;
}

bool RequestParser::parse_body_length(std::string_view in) {
  // Nothing to scan: wait until the whole body is there; it stays where it is.
  if (in.size() - pos_ < body_length_) return false;
  body_ = {pos_, body_length_};
  pos_ += body_length_;
  state_ = State::done;
  return true;
}

bool RequestParser::parse_body_chunked(std::string_view in) {
  switch (chunked_.decode(in, &pos_, &chunked_body_)) {
    case ChunkedDecoder::Status::need_more:
      return false;
    case ChunkedDecoder::Status::done:
      state_ = State::done;
      return true;
    case ChunkedDecoder::Status::error:
      break;
  }
  // The same answers as for the head: 413 as for a Content-Length over the limit, 431 as for
  // a header block over it, 400 for anything malformed.
  int status = 400;
  if (chunked_.error() == ChunkedError::body_too_large) status = 413;
  if (chunked_.error() == ChunkedError::trailers_too_large) status = 431;
  return fail(status, chunked_.error_reason());
}

void RequestParser::fill_views(std::string_view in) {
  views_base_ = in.data();
  req_.method_text = view(in, method_);
  req_.target = view(in, target_);
  req_.path = view(in, path_);
  req_.query = view(in, query_);
  req_.body = chunked_body_.empty() ? view(in, body_) : std::string_view(chunked_body_);
  // The spans were cut from this input: no bounds to check again.
  const char* base = in.data();
  req_.headers.resize(header_spans_.size());
  for (size_t i = 0; i < header_spans_.size(); ++i) {
    const HeaderSpan& h = header_spans_[i];
    req_.headers[i] = {{base + h.name.off, h.name.len}, {base + h.value.off, h.value.len}};
  }
}

bool RequestParser::in_body() const {
  switch (state_) {
    case State::body_length:
    case State::body_chunked:
      return true;
    default:
      return false;
  }
}

bool RequestParser::expects_continue(std::string_view in) const {
  if (!in_body() || req_.version_minor != 1) return false;
  for (const HeaderSpan& h : header_spans_) {
    std::string_view name = view(in, h.name);
    if (name.size() != 6) continue;
    bool is_expect = true;
    for (size_t i = 0; i < 6; ++i) is_expect = is_expect && (name[i] | 0x20) == "expect"[i];
    if (!is_expect) continue;
    std::string_view v = view(in, h.value);
    if (v.size() != 12) return false;
    for (size_t i = 0; i < 12; ++i)
      if ((v[i] | 0x20) != "100-continue"[i]) return false;
    return true;
  }
  return false;
}

}  // namespace herald::http
