#include "access/hooks.h"

#include "proto/binary.h"
#include "proto/json.h"

namespace herald::access {

std::string_view hook_kind_name(HookKind k) {
  switch (k) {
    case HookKind::connect:
      return "connect";
    case HookKind::subscribe:
      return "subscribe";
    case HookKind::publish:
      return "publish";
  }
  return "?";
}

std::string_view hook_result_name(HookResult r) {
  switch (r) {
    case HookResult::allow:
      return "allow";
    case HookResult::deny:
      return "deny";
    case HookResult::error:
      return "error";
    case HookResult::timeout:
      return "timeout";
    case HookResult::overload:
      return "overload";
  }
  return "?";
}

namespace {

void member(std::string& out, std::string_view name, std::string_view value) {
  out += out.size() == 1 ? "\"" : ",\"";
  out += name;
  out += "\":";
  proto::append_json_string(out, value);
}

}  // namespace

std::string encode_connect_request(std::string_view transport, std::string_view address,
                                   std::span<const HookHeader> headers) {
  std::string out = "{";
  member(out, "transport", transport);
  member(out, "address", address);
  out += ",\"headers\":{";
  bool first = true;
  for (const HookHeader& h : headers) {
    if (!first) out += ',';
    first = false;
    proto::append_json_string(out, h.first);
    out += ':';
    proto::append_json_string(out, h.second);
  }
  out += "}}";
  return out;
}

std::string encode_subscribe_request(std::string_view client, std::string_view user,
                                     std::string_view channel, std::string_view transport) {
  std::string out = "{";
  member(out, "client", client);
  member(out, "user", user);
  member(out, "channel", channel);
  member(out, "transport", transport);
  out += '}';
  return out;
}

std::string encode_publish_request(std::string_view client, std::string_view user,
                                   std::string_view channel, std::string_view data, bool binary) {
  std::string out = "{";
  member(out, "client", client);
  member(out, "user", user);
  member(out, "channel", channel);
  if (binary) {
    out += ",\"b64\":\"";
    proto::append_base64(out, data);
    out += '"';
  } else {
    out += ",\"data\":";
    out += data;  // already valid, minified JSON
  }
  out += '}';
  return out;
}

}  // namespace herald::access
