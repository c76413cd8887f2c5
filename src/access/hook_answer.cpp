// The hook answer readers. simdjson's DOM validates the whole body and types its values but
// keeps no source positions, and "info" and "data" must stay the backend's own text (the DOM
// would rewrite numbers: 1.0 -> 1). So the body is minified first (validated, whitespace
// outside strings dropped, every other byte kept), and after the DOM has accepted it a walk
// over the minified bytes, member by member in the DOM's order, hands out each value's text.
#include "access/hook_answer.h"

#include <simdjson.h>

#include "base/limits.h"
#include "jwt/grants.h"
#include "proto/json.h"

namespace herald::access {
namespace {

namespace dom = simdjson::dom;
constexpr size_t kBad = std::string_view::npos;

// One parser per thread (one per event loop).
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

// End of the string literal that starts at t[p] ('"'), or kBad.
size_t skip_string(std::string_view t, size_t p) {
  for (++p; p < t.size(); ++p) {
    if (t[p] == '\\') {
      ++p;
    } else if (t[p] == '"') {
      return p + 1;
    }
  }
  return kBad;
}

// End of the value that starts at t[p] in minified JSON, or kBad.
size_t skip_value(std::string_view t, size_t p) {
  if (p >= t.size()) return kBad;
  if (t[p] == '"') return skip_string(t, p);
  if (t[p] == '{' || t[p] == '[') {
    size_t depth = 0;
    while (p < t.size()) {
      char c = t[p];
      if (c == '"') {
        p = skip_string(t, p);
        if (p == kBad) return kBad;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return p + 1;
      ++p;
    }
    return kBad;
  }
  while (p < t.size() && t[p] != ',' && t[p] != '}' && t[p] != ']') ++p;
  return p;
}

// The members of a minified top-level object, in order: each value's text.
class RawMembers {
 public:
  explicit RawMembers(std::string_view t) : t_(t), pos_(t.empty() || t[0] != '{' ? kBad : 1) {}

  bool next(std::string_view* raw) {
    if (pos_ == kBad || pos_ >= t_.size()) return false;
    if (t_[pos_] == ',') ++pos_;
    size_t p = skip_string(t_, pos_);
    if (p == kBad || p >= t_.size() || t_[p] != ':') return false;
    size_t end = skip_value(t_, p + 1);
    if (end == kBad) return false;
    *raw = t_.substr(p + 1, end - p - 1);
    pos_ = end;
    return true;
  }

 private:
  std::string_view t_;
  size_t pos_;
};

struct Member {
  std::string_view key;
  dom::element value;
  std::string_view raw;
};

// Minifies and parses `body` as one object; calls fn(Member) for each member in order. False
// when the body is not a JSON object or fn returns false.
template <typename Fn>
bool for_each_member(std::string_view body, std::string* minified, Fn fn) {
  if (body.size() > base::limits::kMaxHookResponseBytes) return false;
  minified->clear();
  if (!proto::minify_json(body, minified)) return false;
  dom::element doc;
  if (thread_parser().parse(minified->data(), minified->size()).get(doc) != simdjson::SUCCESS)
    return false;
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  RawMembers raw(*minified);
  for (dom::key_value_pair kv : obj) {
    Member m{kv.key, kv.value, {}};
    if (!raw.next(&m.raw) || !fn(m)) return false;
  }
  return true;
}

bool read_grants(dom::element v, std::vector<std::string>* out) {
  dom::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS) return false;
  for (dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS || !jwt::valid_grant(s)) return false;
    out->emplace_back(s);
  }
  return true;
}

// The verdict of a status that is not 200: 401 and 403 refuse, anything else is a failure.
HookVerdict verdict_of_status(int status) {
  return status == 401 || status == 403 ? HookVerdict::deny : HookVerdict::failed;
}

}  // namespace

HookVerdict parse_connect_answer(int status, std::string_view body, ConnectAnswer* out) {
  if (status != 200) return verdict_of_status(status);
  enum { kUser, kChannels, kPublish, kInfo, kExpire, kDeny, kCount };
  static constexpr std::string_view kNames[kCount] = {"user", "channels",  "publish",
                                                      "info", "expire_at", "deny"};
  bool seen[kCount] = {};
  bool deny = false;
  ConnectAnswer a;
  std::string minified;
  bool ok = for_each_member(body, &minified, [&](const Member& m) {
    size_t i = 0;
    while (i < kCount && m.key != kNames[i]) ++i;
    if (i == kCount) return true;  // the backend's own member
    if (seen[i]) return false;
    seen[i] = true;
    switch (i) {
      case kUser: {
        std::string_view u;
        if (m.value.get_string().get(u) != simdjson::SUCCESS) return false;
        a.user = std::string(u);
        return true;
      }
      case kChannels:
        return read_grants(m.value, &a.channels);
      case kPublish:
        return read_grants(m.value, &a.publish);
      case kInfo:
        if (m.value.type() != dom::element_type::OBJECT) return false;
        if (m.raw.size() > base::limits::kMaxInfoBytes) return false;
        a.info = std::string(m.raw);
        return true;
      case kExpire: {
        int64_t at = 0;
        if (m.value.get_int64().get(at) != simdjson::SUCCESS || at < 0) return false;
        a.expire_at = at;
        return true;
      }
      case kDeny:
        return m.value.get_bool().get(deny) == simdjson::SUCCESS;
    }
    return false;
  });
  if (!ok) return HookVerdict::failed;
  if (deny) return HookVerdict::deny;
  // An identity needs "user" (possibly ""): a body that says neither who nor "deny" is not an
  // answer, and a hook must fail closed.
  if (!seen[kUser]) return HookVerdict::failed;
  *out = std::move(a);
  return HookVerdict::allow;
}

HookVerdict parse_allow_answer(int status, std::string_view body, AllowAnswer* out) {
  if (status != 200) return verdict_of_status(status);
  bool seen_allow = false, seen_data = false, allow = false;
  std::string_view data;
  std::string minified;
  bool ok = for_each_member(body, &minified, [&](const Member& m) {
    if (m.key == "allow") {
      if (seen_allow) return false;
      seen_allow = true;
      return m.value.get_bool().get(allow) == simdjson::SUCCESS;
    }
    if (m.key == "data") {
      if (seen_data) return false;
      seen_data = true;
      data = m.raw;
    }
    return true;
  });
  if (!ok || !seen_allow) return HookVerdict::failed;
  if (!allow) return HookVerdict::deny;
  out->has_data = seen_data;
  out->data = std::string(data);
  return HookVerdict::allow;
}

}  // namespace herald::access
