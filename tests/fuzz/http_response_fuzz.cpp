// fuzz-links: http_codec
// Feeds arbitrary bytes to the HTTP/1.1 response parser, buffered and streamed, as one read and
// again in pieces whose boundaries come from the input, then a close. Invariants:
//   - consumed <= size; buffered need_more consumes nothing;
//   - every view of a complete (or head) response lies inside the input it was parsed from;
//   - the pieces give exactly the result of the single read (responses, bodies, errors);
//   - a streamed body is the same bytes as the buffered body of the same response.
// The first input byte picks the mode (HEAD or not) and small limits, so limits are crossed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http_codec/response_parser.h"

namespace {

using herald::http::Response;
using herald::http::ResponseLimits;
using herald::http::ResponseMode;
using herald::http::ResponseParser;
using herald::http::ResponseParseResult;
using herald::http::ResponseStatus;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_inside(std::string_view v, std::string_view in) {
  if (v.empty()) return;
  check(v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

std::string digest(const ResponseParseResult& r, const Response& res, bool with_body) {
  std::string d = std::to_string(static_cast<int>(r.status)) + "|" + r.error_reason + "|";
  if (r.status == ResponseStatus::error) return d;
  d += std::to_string(res.status) + "|" + std::to_string(res.version_minor);
  d.append("|").append(res.reason);
  for (const auto& h : res.headers) d.append("|").append(h.name).append(":").append(h.value);
  d += res.keep_alive ? "|ka" : "|close";
  d += "|" + std::to_string(static_cast<int>(res.framing));
  if (with_body) d.append("|").append(res.body);
  return d;
}

// Buffered: every non-need_more result, then the close.
std::vector<std::string> run_buffered(std::string_view data, const std::vector<size_t>& cuts,
                                      const ResponseLimits& limits, ResponseMode mode) {
  ResponseParser parser(limits);
  std::vector<std::string> out;
  std::string unread;
  size_t delivered = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t cut = i < cuts.size() ? cuts[i] : data.size();
    unread.append(data.substr(delivered, cut - delivered));
    delivered = cut;
    while (true) {
      std::string copy = unread;
      ResponseParseResult r = parser.parse(copy, mode);
      check(r.consumed <= copy.size());
      if (r.status == ResponseStatus::need_more) {
        check(r.consumed == 0);
        break;
      }
      check(r.status != ResponseStatus::head);
      if (r.status == ResponseStatus::complete) {
        check(r.consumed > 0);
        check_inside(parser.response().reason, copy);
        for (const auto& h : parser.response().headers) {
          check_inside(h.name, copy);
          check_inside(h.value, copy);
        }
      }
      out.push_back(digest(r, parser.response(), true));
      if (r.status == ResponseStatus::error) return out;
      unread.erase(0, r.consumed);
    }
  }
  if (parser.in_progress() || !unread.empty()) {
    std::string copy = unread;
    ResponseParseResult r = parser.finish(copy, mode);
    check(r.consumed <= copy.size());
    out.push_back(digest(r, parser.response(), true));
  }
  return out;
}

// Streamed: the first response only; its head digest and its body bytes, then the close.
std::string run_streamed(std::string_view data, const std::vector<size_t>& cuts,
                         const ResponseLimits& limits, ResponseMode mode, std::string* body) {
  mode.stream_body = true;
  ResponseParser parser(limits);
  std::string d;
  std::string unread;
  size_t delivered = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t cut = i < cuts.size() ? cuts[i] : data.size();
    unread.append(data.substr(delivered, cut - delivered));
    delivered = cut;
    while (true) {
      std::string copy = unread;
      ResponseParseResult r = parser.parse(copy, mode);
      check(r.consumed <= copy.size());
      body->append(parser.response().body);
      parser.response().body.clear();
      if (r.status == ResponseStatus::head) {
        check_inside(parser.response().reason, copy);
        d += digest(r, parser.response(), false);
      }
      if (r.status == ResponseStatus::complete || r.status == ResponseStatus::error) {
        return d + "/" + std::to_string(static_cast<int>(r.status));
      }
      unread.erase(0, r.consumed);
      if (r.status == ResponseStatus::need_more) break;
    }
  }
  std::string copy = unread;
  ResponseParseResult r = parser.finish(copy, mode);
  body->append(parser.response().body);
  return d + "/" + std::to_string(static_cast<int>(r.status));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = bytes[0];
  std::string_view data(reinterpret_cast<const char*>(bytes + 1), size - 1);
  ResponseLimits limits;
  if (flags & 1) {
    limits.max_header_bytes = 64;
    limits.max_header_count = 3;
    limits.max_body = 16;
  }
  ResponseMode mode;
  mode.no_body = (flags & 2) != 0;

  std::vector<size_t> cuts;
  for (size_t i = 0; i < data.size(); ++i) {
    if (static_cast<uint8_t>(data[i]) % 7 == (flags >> 2) % 7) cuts.push_back(i + 1);
  }
  std::vector<size_t> bytewise;
  for (size_t i = 1; i < data.size() && data.size() < 512; ++i) bytewise.push_back(i);

  std::vector<std::string> whole = run_buffered(data, {}, limits, mode);
  check(run_buffered(data, cuts, limits, mode) == whole);
  if (!bytewise.empty()) check(run_buffered(data, bytewise, limits, mode) == whole);

  std::string body_whole, body_cut;
  std::string s_whole = run_streamed(data, {}, limits, mode, &body_whole);
  std::string s_cut = run_streamed(data, cuts, limits, mode, &body_cut);
  check(s_whole == s_cut);
  check(body_whole == body_cut);
  return 0;
}
