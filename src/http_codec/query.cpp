#include "http_codec/query.h"

#include <algorithm>

namespace herald::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode_into(std::string_view in, bool plus_as_space, std::string& out) {
  out.reserve(out.size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;  // "%" or "%X" at the end
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

base::Result<std::string> percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  if (!percent_decode_into(in, plus_as_space, out)) return base::Errc::bad_request;
  return out;
}

std::string first_unknown_param(std::string_view query, std::span<const std::string_view> known) {
  std::string decoded;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::string_view name = pair.substr(0, pair.find('='));
    // Names are almost always plain ASCII: decode only those that need it.
    if (name.find_first_of("%+") != std::string_view::npos) {
      decoded.clear();
      if (!percent_decode_into(name, true, decoded)) continue;
      name = decoded;
    }
    if (name.empty()) continue;
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (!ok) return std::string(name);
  }
  return {};
}

std::string redacted_target(std::string_view path, std::string_view query) {
  std::string out(path);
  if (query.empty()) return out;
  out.push_back('?');
  std::string decoded;
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out.push_back('&');
    first = false;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    decoded.clear();
    // A name that does not decode is kept as sent: it cannot be a credential's name either.
    bool secret = false;
    if (percent_decode_into(name, true, decoded)) {
      for (std::string_view k : kCredentialParams) {
        secret = secret || (decoded.size() == k.size() &&
                            std::equal(k.begin(), k.end(), decoded.begin(), [](char a, char b) {
                              return a == (b >= 'A' && b <= 'Z' ? char(b - 'A' + 'a') : b);
                            }));
      }
    }
    if (secret && eq != std::string_view::npos) {
      out.append(name);
      out.append("=REDACTED");
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

base::Result<QueryParams> QueryParams::parse(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    QueryParam p;
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!percent_decode_into(pair.substr(0, eq), true, p.name) ||
        !percent_decode_into(raw_value, true, p.value)) {
      return base::Errc::bad_request;
    }
    params.items_.push_back(std::move(p));
  }
  return params;
}

std::vector<std::string_view> QueryParams::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const QueryParam& p : items_) {
    if (p.name == name) out.push_back(p.value);
  }
  return out;
}

std::string_view QueryParams::get(std::string_view name, bool* found) const {
  for (const QueryParam& p : items_) {
    if (p.name == name) {
      if (found) *found = true;
      return p.value;
    }
  }
  if (found) *found = false;
  return {};
}

bool QueryParams::has(std::string_view name) const {
  bool found = false;
  get(name, &found);
  return found;
}

}  // namespace herald::http
