// The access module's JSON readers. The only file of src/access that includes simdjson.h (a
// very large header).
//
// simdjson's DOM validates a whole document (grammar, UTF-8, escapes, control characters) and
// types its values, but keeps no source positions. "info" is stored as the client's own text
// (re-serialising from the DOM would rewrite numbers: 1.0 -> 1, 1e2 -> 100.0), so after the
// DOM has accepted a claims set, proto::RawFields walks the original bytes of the top-level object
// in the same order as the DOM's members and hands out each value's text.
#include "jwt/token_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "jwt/grants.h"
#include "proto/json.h"
#include "proto/json_raw.h"

namespace herald::jwt::token_json {
namespace {

namespace dom = simdjson::dom;

// The largest NumericDate accepted: 9999-12-31T23:59:59Z. A token whose "exp" is in
// milliseconds (a common mistake) lands far past it and is refused instead of never expiring.
constexpr int64_t kMaxNumericDate = 253'402'300'799;

// One parser per thread (one per event loop); it keeps its buffers between documents.
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

// Parses `json` as one object. Returns false when it is not valid JSON or not an object.
bool parse_object(std::string_view json, dom::object* out) {
  dom::element doc;
  if (thread_parser().parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) return false;
  return doc.get_object().get(*out) == simdjson::SUCCESS;
}

// True when two members of `obj` have the same (unescaped) name.
bool has_repeated_name(dom::object obj) {
  std::vector<std::string_view> names;
  names.reserve(obj.size());
  for (dom::key_value_pair m : obj) names.push_back(m.key);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

bool read_string(dom::element v, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  out->assign(s);
  return true;
}

// A NumericDate (RFC 7519 section 2): a JSON number of seconds; a fraction is dropped.
bool read_date(dom::element v, std::optional<int64_t>* out) {
  int64_t i = 0;
  double d = 0;
  if (v.type() == dom::element_type::INT64) {
    if (v.get_int64().get(i) != simdjson::SUCCESS) return false;
  } else if (v.type() == dom::element_type::DOUBLE) {
    if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d) || d < 0 ||
        d > double(kMaxNumericDate)) {
      return false;
    }
    i = static_cast<int64_t>(std::floor(d));
  } else {
    return false;  // a string, or an integer past int64 (UINT64)
  }
  if (i < 0 || i > kMaxNumericDate) return false;
  *out = i;
  return true;
}

// A string or an array of strings (RFC 7519 4.1.3).
bool read_audience(dom::element v, std::vector<std::string>* out) {
  out->clear();
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    out->emplace_back(s);
    return true;
  }
  dom::array list;
  if (v.get_array().get(list) != simdjson::SUCCESS) return false;
  for (dom::element item : list) {
    if (item.get_string().get(s) != simdjson::SUCCESS) return false;
    out->emplace_back(s);
  }
  return true;
}

// An array of grant patterns; one invalid pattern refuses the whole token (a grant that
// silently dropped would make the token mean less than its issuer wrote, one that matched
// loosely would make it mean more).
bool read_grants(dom::element v, std::vector<std::string>* out) {
  out->clear();
  dom::array list;
  if (v.get_array().get(list) != simdjson::SUCCESS) return false;
  for (dom::element item : list) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS || !valid_grant(s)) return false;
    out->emplace_back(s);
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

std::optional<TokenError> parse_header(std::string_view json, Header* out) {
  dom::object obj;
  if (!parse_object(json, &obj) || has_repeated_name(obj)) return TokenError::malformed;
  bool has_alg = false;
  out->kid.clear();
  for (dom::key_value_pair m : obj) {
    if (m.key == "alg") {
      if (!read_string(m.value, &out->alg)) return TokenError::malformed;
      has_alg = true;
    } else if (m.key == "kid") {
      if (!read_string(m.value, &out->kid)) return TokenError::malformed;
    } else if (m.key == "typ") {
      std::string_view typ;
      if (m.value.get_string().get(typ) != simdjson::SUCCESS) return TokenError::malformed;
      if (!iequals(typ, "JWT") && !iequals(typ, "application/jwt")) return TokenError::malformed;
    } else if (m.key == "crit") {
      // RFC 7515 4.1.11: extensions listed in "crit" must be understood; herald knows none.
      return TokenError::malformed;
    }
  }
  if (!has_alg) return TokenError::malformed;
  return std::nullopt;
}

std::optional<TokenError> parse_claims(std::string_view json, Claims* out) {
  dom::object obj;
  if (!parse_object(json, &obj)) return TokenError::malformed;
  if (has_repeated_name(obj)) return TokenError::bad_claims;
  proto::RawFields raw(json);
  if (!raw.open()) return TokenError::malformed;
  Claims& c = *out;
  c.sub.clear();
  c.exp.reset();
  c.nbf.reset();
  c.iat.reset();
  c.aud.clear();
  c.iss.clear();
  c.channels.clear();
  c.publish.clear();
  c.info.clear();
  for (dom::key_value_pair m : obj) {
    std::string_view text;
    if (!raw.next(&text)) return TokenError::malformed;
    bool ok = true;
    std::string ignored;
    if (m.key == "sub") {
      ok = read_string(m.value, &c.sub);
    } else if (m.key == "iss") {
      ok = read_string(m.value, &c.iss);
    } else if (m.key == "jti") {
      ok = read_string(m.value, &ignored);
    } else if (m.key == "exp") {
      ok = read_date(m.value, &c.exp);
    } else if (m.key == "nbf") {
      ok = read_date(m.value, &c.nbf);
    } else if (m.key == "iat") {
      ok = read_date(m.value, &c.iat);
    } else if (m.key == "aud") {
      ok = read_audience(m.value, &c.aud);
    } else if (m.key == "channels") {
      ok = read_grants(m.value, &c.channels);
    } else if (m.key == "publish") {
      ok = read_grants(m.value, &c.publish);
    } else if (m.key == "info") {
      ok = m.value.type() == dom::element_type::OBJECT && proto::minify_json(text, &c.info);
    }
    if (!ok) return TokenError::bad_claims;
  }
  return std::nullopt;
}

bool parse_jwks(std::string_view json, std::vector<Jwk>* out, std::string* error) {
  out->clear();
  dom::object obj;
  if (!parse_object(json, &obj)) {
    *error = "not a JSON object";
    return false;
  }
  dom::array keys;
  if (obj["keys"].get_array().get(keys) != simdjson::SUCCESS) {
    *error = "no \"keys\" array";
    return false;
  }
  size_t index = 0;
  for (dom::element item : keys) {
    dom::object key;
    if (item.get_object().get(key) != simdjson::SUCCESS) {
      *error = "keys[" + std::to_string(index) + "] is not an object";
      return false;
    }
    if (has_repeated_name(key)) {
      *error = "keys[" + std::to_string(index) + "] repeats a member name";
      return false;
    }
    Jwk jwk;
    struct Member {
      std::string_view name;
      std::string* into;
    };
    const Member members[] = {{"kty", &jwk.kty}, {"kid", &jwk.kid}, {"use", &jwk.use},
                              {"alg", &jwk.alg}, {"crv", &jwk.crv}, {"n", &jwk.n},
                              {"e", &jwk.e},     {"x", &jwk.x},     {"y", &jwk.y},
                              {"k", &jwk.k}};
    for (dom::key_value_pair m : key) {
      if (m.key == "d") jwk.has_private = true;
      for (const Member& want : members) {
        if (m.key != want.name) continue;
        if (!read_string(m.value, want.into)) {
          *error =
              "keys[" + std::to_string(index) + "]." + std::string(want.name) + " is not a string";
          return false;
        }
      }
    }
    if (jwk.kty.empty()) {
      *error = "keys[" + std::to_string(index) + "] has no \"kty\"";
      return false;
    }
    out->push_back(std::move(jwk));
    ++index;
  }
  return true;
}

}  // namespace herald::jwt::token_json
