// The herald.v1 encoders: plain appends, no DOM. Each push is encoded once and the same bytes
// go to every subscriber, so these stay simple rather than clever.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "proto/binary.h"
#include "proto/channel.h"
#include "proto/json.h"

namespace herald::proto {
namespace {

void append_id_prefix(std::string& out, uint64_t id) {
  out.append("{\"id\":");
  append_uint(out, id);
}

void append_cursor_string(std::string& out, const Cursor& c) {
  // Epochs are [A-Za-z0-9] and offsets digits: no escaping needed, but an invalid epoch must
  // still not break the JSON, so take the escaping path when it is not plain.
  if (valid_epoch(c.epoch)) {
    out.push_back('"');
    append_cursor(out, c.epoch, c.offset);
    out.push_back('"');
  } else {
    append_json_string(out, format_cursor(c));
  }
}

void append_recovered(std::string& out, bool has_recovered, bool recovered) {
  if (has_recovered) out.append(recovered ? ",\"recovered\":true" : ",\"recovered\":false");
}

void append_presence_push(std::string& out, std::string_view channel, std::string_view kind,
                          std::string_view info_raw) {
  out.append("{\"channel\":");
  append_json_string(out, channel);
  out.append(",\"");
  out.append(kind);
  out.append("\":");
  out.append(info_raw);
  out.push_back('}');
}

}  // namespace

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void encode_reply_ok(std::string& out, uint64_t id, std::string_view result_raw) {
  append_id_prefix(out, id);
  out.append(",\"result\":");
  out.append(result_raw);
  out.push_back('}');
}

void encode_pong(std::string& out, uint64_t id) {
  encode_reply_ok(out, id, "{}");
}

void encode_subscribe_result(std::string& out, uint64_t id, const Cursor& cursor,
                             bool has_recovered, bool recovered) {
  append_id_prefix(out, id);
  out.append(",\"result\":{\"cursor\":");
  append_cursor_string(out, cursor);
  append_recovered(out, has_recovered, recovered);
  out.append("}}");
}

void encode_error(std::string& out, bool has_id, uint64_t id, int code, std::string_view message) {
  if (has_id) {
    append_id_prefix(out, id);
    out.append(",\"error\":{\"code\":");
  } else {
    out.append("{\"error\":{\"code\":");
  }
  if (code < 0) {
    out.push_back('-');
    append_uint(out, static_cast<uint64_t>(-static_cast<int64_t>(code)));
  } else {
    append_uint(out, static_cast<uint64_t>(code));
  }
  out.append(",\"message\":");
  append_json_string(out, message);
  out.append("}}");
}

void encode_error(std::string& out, const ProtoError& err) {
  if (err.has_id || err.id_text.empty()) {
    encode_error(out, err.has_id, err.id, err.code, err.message);
    return;
  }
  out.append("{\"id\":");
  out.append(err.id_text);
  size_t at = out.size();
  encode_error(out, false, 0, err.code, err.message);
  out[at] = ',';  // splice: {"id":X + ,"error":...
}

namespace {
constexpr std::string_view kPushOpen = "{\"channel\":\"",
                           kPushOffset = "\",\"offset\":", kPushData = ",\"data\":";

char* put(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());  // an empty view may have a null data()
  return p + s.size();
}
}  // namespace

size_t push_size(std::string_view channel_text, uint64_t offset, std::string_view data_raw) {
  char digits[20];
  auto n = static_cast<size_t>(std::to_chars(digits, digits + sizeof digits, offset).ptr - digits);
  return kPushOpen.size() + channel_text.size() + kPushOffset.size() + n + kPushData.size() +
         data_raw.size() + 1;
}

char* write_push(char* p, std::string_view channel_text, uint64_t offset,
                 std::string_view data_raw) {
  p = put(put(p, kPushOpen), channel_text);
  p = put(p, kPushOffset);
  p = std::to_chars(p, p + 20, offset).ptr;
  p = put(put(p, kPushData), data_raw);
  *p++ = '}';
  return p;
}

void encode_push(std::string& out, std::string_view channel, uint64_t offset,
                 std::string_view data_raw) {
  // One layout for every transport: an odd name (none reaches a subscriber; the hub refuses
  // them) is escaped first and then written like any other.
  std::string_view text = channel;
  thread_local std::string escaped;
  if (!valid_channel(channel)) {
    escaped.clear();
    append_json_string(escaped, channel);
    text = std::string_view(escaped).substr(1, escaped.size() - 2);  // without its quotes
  }
  size_t at = out.size();
  out.resize(at + push_size(text, offset, data_raw));
  write_push(out.data() + at, text, offset, data_raw);
}

void encode_join_push(std::string& out, std::string_view channel, std::string_view info_raw) {
  append_presence_push(out, channel, "join", info_raw);
}

void encode_leave_push(std::string& out, std::string_view channel, std::string_view info_raw) {
  append_presence_push(out, channel, "leave", info_raw);
}

void encode_publish_result_object(std::string& out, uint64_t offset, std::string_view epoch) {
  // Every publish is answered with this: written into a stack buffer and appended once. An
  // epoch is the server's own [A-Za-z0-9] text, which JSON never escapes; anything else takes
  // the general path below.
  if (valid_epoch(epoch)) {
    static constexpr std::string_view kOffset = "{\"offset\":", kEpoch = ",\"epoch\":\"";
    char buf[kOffset.size() + 20 + kEpoch.size() + kMaxEpochLength + 2];
    char* p = std::copy(kOffset.begin(), kOffset.end(), buf);
    p = std::to_chars(p, p + 20, offset).ptr;
    p = std::copy(kEpoch.begin(), kEpoch.end(), p);
    p = std::copy(epoch.begin(), epoch.end(), p);
    *p++ = '"';
    *p++ = '}';
    out.append(buf, static_cast<size_t>(p - buf));
    return;
  }
  out.append("{\"offset\":");
  append_uint(out, offset);
  out.append(",\"epoch\":");
  append_json_string(out, epoch);
  out.push_back('}');
}

void encode_publish_result(std::string& out, uint64_t id, uint64_t offset, std::string_view epoch) {
  append_id_prefix(out, id);
  out.append(",\"result\":");
  encode_publish_result_object(out, offset, epoch);
  out.push_back('}');
}

void append_history_entry(std::string& out, const PublicationView& pub) {
  out.append("{\"offset\":");
  append_uint(out, pub.offset);
  if (pub.binary) {
    out.append(",\"b64\":\"");
    append_base64(out, pub.data_raw);
    out.append("\"}");
    return;
  }
  out.append(",\"data\":");
  out.append(pub.data_raw);
  out.push_back('}');
}

void encode_history_result(std::string& out, uint64_t id, std::span<const PublicationView> pubs,
                           const Cursor& cursor, bool has_recovered, bool recovered) {
  append_id_prefix(out, id);
  out.append(",\"result\":{\"publications\":[");
  for (size_t i = 0; i < pubs.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_history_entry(out, pubs[i]);
  }
  out.append("],\"cursor\":");
  append_cursor_string(out, cursor);
  append_recovered(out, has_recovered, recovered);
  out.append("}}");
}

void encode_presence_entry(std::string& out, const PresenceView& who) {
  out.append("{\"client\":");
  append_json_string(out, who.client);
  if (!who.user.empty()) {
    out.append(",\"user\":");
    append_json_string(out, who.user);
  }
  if (!who.info.empty()) {
    out.append(",\"info\":");
    out.append(who.info);
  }
  out.push_back('}');
}

void encode_presence_object(std::string& out, uint64_t connections, uint64_t users,
                            std::span<const PresenceView> clients) {
  out.append("{\"connections\":");
  append_uint(out, connections);
  out.append(",\"users\":");
  append_uint(out, users);
  out.append(",\"clients\":[");
  for (size_t i = 0; i < clients.size(); ++i) {
    if (i > 0) out.push_back(',');
    encode_presence_entry(out, clients[i]);
  }
  out.append("]}");
}

void encode_presence_result(std::string& out, uint64_t id, uint64_t connections, uint64_t users,
                            std::span<const PresenceView> clients) {
  append_id_prefix(out, id);
  out.append(",\"result\":");
  encode_presence_object(out, connections, users, clients);
  out.push_back('}');
}

void encode_poll_response(std::string& out, std::span<const std::string_view> pushes,
                          std::string_view cursor, std::span<const std::string> unrecovered) {
  out.append("{\"messages\":[");
  for (size_t i = 0; i < pushes.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(pushes[i]);
  }
  out.append("],\"cursor\":");
  append_json_string(out, cursor);
  if (!unrecovered.empty()) {
    out.append(",\"recovered\":false,\"unrecovered\":[");
    for (size_t i = 0; i < unrecovered.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_string(out, unrecovered[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

}  // namespace herald::proto
