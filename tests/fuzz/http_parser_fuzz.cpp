// fuzz-links: http_codec
// Feeds arbitrary bytes to the HTTP/1.1 request parser, as one read and again in pieces whose
// boundaries come from the input, and checks the invariants a session relies on:
//   - consumed <= size; need_more consumes nothing;
//   - every view of a complete request lies inside the input it was parsed from;
//   - the pieces give exactly the result of the single read (requests, bodies, error status).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "http_codec/parser.h"

namespace {

using herald::http::ParseResult;
using herald::http::ParserLimits;
using herald::http::ParseStatus;
using herald::http::Request;
using herald::http::RequestParser;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_inside(std::string_view v, std::string_view in) {
  if (v.empty()) return;
  check(v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

// One request's result, copied out of the input.
std::string digest(const ParseResult& r, const RequestParser& p) {
  std::string d = std::to_string(static_cast<int>(r.status)) + "/" + std::to_string(r.consumed) +
                  "/" + std::to_string(r.error_status) + "|";
  if (r.status != ParseStatus::complete) return d;
  const Request& q = p.request();
  d.append(q.method_text).append("|").append(q.target).append("|").append(q.path);
  d.append("|").append(q.query).append("|").append(std::to_string(q.version_minor));
  for (const auto& h : q.headers) d.append("|").append(h.name).append(":").append(h.value);
  d.append("|").append(q.body).append(q.keep_alive ? "|ka" : "|close");
  d.append(q.upgrade ? "|up" : "");
  return d;
}

// Delivers `data` in pieces ending at `cuts`; returns the digests of every parse result that
// was not need_more. Each parse() sees a fresh heap copy of exactly the unread bytes, so ASan
// catches any read past the end or through a stale pointer.
std::vector<std::string> run(std::string_view data, const std::vector<size_t>& cuts,
                             const ParserLimits& limits) {
  RequestParser parser(limits);
  std::vector<std::string> out;
  std::string unread;
  size_t delivered = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t cut = i < cuts.size() ? cuts[i] : data.size();
    unread.append(data.substr(delivered, cut - delivered));
    delivered = cut;
    while (true) {
      std::vector<char> copy(unread.begin(), unread.end());
      std::string_view in(copy.data(), copy.size());
      ParseResult r = parser.parse(in);
      if (r.status == ParseStatus::need_more) {
        check(r.consumed == 0);
        break;
      }
      out.push_back(digest(r, parser));
      if (r.status == ParseStatus::error) {
        check(r.error_status >= 400 && r.error_status <= 505);
        return out;
      }
      check(r.consumed > 0 && r.consumed <= in.size());
      const Request& q = parser.request();
      check_inside(q.method_text, in);
      check_inside(q.target, in);
      check_inside(q.path, in);
      check_inside(q.query, in);
      for (const auto& h : q.headers) {
        check_inside(h.name, in);
        check_inside(h.value, in);
      }
      check(q.body.size() <= limits.max_body);
      unread.erase(0, r.consumed);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 4) return 0;
  // The first 4 bytes choose small limits (so the fuzzer crosses them) and the split points.
  ParserLimits limits;
  limits.max_request_line = 16 + bytes[0];
  limits.max_header_bytes = 32 + bytes[1] * 4;
  limits.max_header_count = 1 + bytes[2] % 16;
  limits.max_body = bytes[3] * 8;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 4, size - 4);

  std::vector<std::string> whole = run(data, {}, limits);

  // Pieces: cut points derived from the data itself (a cheap deterministic hash).
  std::vector<size_t> cuts;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < data.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(data[i])) * 16777619u;
    if (h % 7 == 0) cuts.push_back(i + 1);
  }
  check(run(data, cuts, limits) == whole);

  // Byte by byte, for short inputs (quadratic in the copies above).
  if (data.size() <= 512) {
    std::vector<size_t> every;
    for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
    check(run(data, every, limits) == whole);
  }
  return 0;
}
