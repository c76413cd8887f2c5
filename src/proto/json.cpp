// The herald.v1 parsers. The only file that includes simdjson.h (a very large header).
//
// Why two passes over a frame: simdjson's DOM validates the whole text (grammar, UTF-8,
// escapes) and gives typed values, but it keeps no source positions, and we must store `data`
// as the client's own text (re-serialising from the DOM would rewrite numbers: 1.0 -> 1, 1e2 ->
// 100.0). So after simdjson has accepted the document, RawFields walks the original bytes of
// the top-level object in the same order as the DOM's fields and hands out each value's text.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "proto/binary.h"
#include "proto/channel.h"
#include "proto/json.h"
#include "proto/json_raw.h"
#include "proto/json_scan.h"

namespace herald::proto {
namespace {

namespace dom = simdjson::dom;

// One parser per thread (one per event loop); it keeps its buffers between frames.
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Appends `raw` (one valid JSON value) without whitespace outside strings. Also refuses raw
// control characters inside strings, so what we store is strict RFC 8259 JSON whatever the
// parser tolerated.
bool append_minified(std::string_view raw, std::string* out) {
  size_t old = out->size();
  // Fast path (the common case: compact JSON from a program): no byte <= 0x20 at all means
  // no whitespace to drop and no raw control character, so the text is copied whole. This
  // loop vectorises; the byte-by-byte walk below costs ~20 instructions a byte.
  unsigned char low = 0xff;
  for (char c : raw) low = std::min(low, static_cast<unsigned char>(c));
  if (!raw.empty() && low > 0x20) {
    if (std::string_view("{[\"-0123456789tfn").find(raw[0]) == std::string_view::npos) return false;
    out->append(raw);
    return true;
  }
  out->reserve(old + raw.size());
  bool in_string = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (in_string) {
      if (static_cast<unsigned char>(c) < 0x20) {
        out->resize(old);
        return false;
      }
      out->push_back(c);
      if (c == '\\') {
        if (++i < raw.size()) out->push_back(raw[i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (!is_ws(c)) {
      out->push_back(c);
      if (c == '"') in_string = true;
    }
  }
  // A value starts with one of these; anything else (a byte-order mark, say) is not JSON text
  // a client of ours could parse.
  if (out->size() == old ||
      std::string_view("{[\"-0123456789tfn").find((*out)[old]) == std::string_view::npos) {
    out->resize(old);
    return false;
  }
  return true;
}

// A top-level field we look for, and where it was found.
struct Slot {
  bool seen = false;
  dom::element value;
  std::string_view raw;
  bool big_number = false;  // a number simdjson cannot hold; `value` is a stand-in 0
};

// The end of the JSON number (RFC 8259 grammar) that starts at t[i], or 0 when none does.
size_t number_end(std::string_view t, size_t i) {
  auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '-') ++i;
  if (!digit(i)) return 0;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < t.size() && t[i] == '.') {
    if (!digit(++i)) return 0;
    while (digit(i)) ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return 0;
    while (digit(i)) ++i;
  }
  return i;
}

// Whether simdjson 3.0 holds the number `n` (valid grammar): an integer that fits an int64 or a
// uint64, or anything else whose double is finite.
bool number_fits(std::string_view n) {
  if (n.find_first_of(".eE") == std::string_view::npos) {
    bool neg = n[0] == '-';
    std::string_view digits = neg ? n.substr(1) : n;
    std::string_view limit = neg ? "9223372036854775808" : "18446744073709551615";
    return digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit);
  }
  return std::isfinite(std::strtod(std::string(n).c_str(), nullptr));
}

// Why: simdjson 3.0 refuses valid JSON numbers that fit none of int64, uint64 and double
// (18446744073709551616, -9223372036854775809, 1e309) with NUMBER_ERROR, while `data` is any
// JSON and herald never needs its numeric value: it stores the client's text. So a text that
// failed that way is parsed again from a copy in which each such number is replaced by `0` and
// blanks of the same length: simdjson still validates everything else, offsets stay those of
// the original, and RawFields hands out the original text. Returns false when there was no
// such number (the text is malformed for another reason).
bool neutralise_big_numbers(std::string_view json, std::string* copy) {
  copy->assign(json);
  bool replaced = false;
  bool in_string = false;
  for (size_t i = 0; i < copy->size(); ++i) {
    char c = (*copy)[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = number_end(*copy, i);
      if (end == 0) return false;  // malformed: leave it to simdjson's verdict
      if (!number_fits(std::string_view(*copy).substr(i, end - i))) {
        (*copy)[i] = '0';
        std::fill(copy->begin() + i + 1, copy->begin() + end, ' ');
        replaced = true;
      }
      i = end - 1;
    }
  }
  return replaced;
}

// Parses `json` with this thread's parser, also when it holds numbers simdjson cannot hold
// (see neutralise_big_numbers). *stand_in is the text parsed instead when that was needed
// (same length and offsets as `json`), else empty.
simdjson::error_code parse_any_numbers(std::string_view json, dom::element* doc,
                                       std::string_view* stand_in) {
  *stand_in = {};
  auto e = thread_parser().parse(json.data(), json.size()).get(*doc);
  if (e != simdjson::NUMBER_ERROR) return e;
  thread_local std::string copy;
  if (!neutralise_big_numbers(json, &copy)) return e;
  *stand_in = copy;
  return thread_parser().parse(copy.data(), copy.size()).get(*doc);
}

enum class Shape { ok, malformed, not_object };

// Parses `json`, requires a top-level object and fills slots[i] for the field named names[i].
// The first repeated known name goes to *dup. Unknown fields are ignored.
template <size_t N>
Shape collect_fields(std::string_view json, const std::string_view (&names)[N], Slot (&slots)[N],
                     std::string_view* dup) {
  dom::element doc;
  std::string_view stand_in;
  if (parse_any_numbers(json, &doc, &stand_in) != simdjson::SUCCESS) return Shape::malformed;
  dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return Shape::not_object;
  RawFields raw(json);
  if (!raw.open()) return Shape::malformed;
  for (dom::key_value_pair field : obj) {
    std::string_view text;
    if (!raw.next(&text)) return Shape::malformed;
    for (size_t i = 0; i < N; ++i) {
      if (field.key != names[i]) continue;
      if (slots[i].seen) {
        if (dup->empty()) *dup = names[i];
      } else {
        bool big = !stand_in.empty() &&
                   stand_in.substr(size_t(text.data() - json.data()), text.size()) != text;
        slots[i] = Slot{true, field.value, text, big && number_end(text, 0) == text.size()};
      }
      break;
    }
  }
  return Shape::ok;
}

bool read_uint(const Slot& s, uint64_t* v) {
  return !s.big_number && s.value.get_uint64().get(*v) == simdjson::SUCCESS;
}

// The text of a number in "id" that is not a valid id (negative, fractional, past uint64), to
// echo in the error reply so that the client can still match it; "" for any other value.
std::string_view id_text(const Slot& s) {
  return number_end(s.raw, 0) == s.raw.size() ? s.raw : std::string_view{};
}

bool read_string(const Slot& s, std::string_view* v) {
  return s.value.get_string().get(*v) == simdjson::SUCCESS;
}

bool fail(ProtoError* err, ProtoErrc e, bool has_id = false, uint64_t id = 0,
          std::string_view field = {}) {
  *err = make_error(e, has_id, id);
  if (!field.empty()) {
    err->message.append(": ");
    err->message.append(field);
  }
  return false;
}

// The payload of a publish: "data" (JSON, kept minified) or "b64" (bytes, decoded), never
// both. Leaves `*data` empty and `*binary` false when neither was sent (*has = false).
bool read_payload(const Slot& data_slot, const Slot& b64_slot, std::string* data, bool* binary,
                  bool* has, ProtoError* err, bool has_id = false, uint64_t id = 0) {
  data->clear();
  *binary = false;
  *has = data_slot.seen || b64_slot.seen;
  if (data_slot.seen && b64_slot.seen) return fail(err, ProtoErrc::two_payloads, has_id, id);
  if (data_slot.seen && !append_minified(data_slot.raw, data))
    return fail(err, ProtoErrc::malformed_json, has_id, id);
  if (b64_slot.seen) {
    std::string_view text;
    if (!read_string(b64_slot, &text)) return fail(err, ProtoErrc::bad_field, has_id, id, "b64");
    if (!decode_base64(text, data)) return fail(err, ProtoErrc::bad_base64, has_id, id);
    *binary = true;
  }
  return true;
}

bool fail_shape(ProtoError* err, Shape shape) {
  return fail(err, shape == Shape::not_object ? ProtoErrc::not_object : ProtoErrc::malformed_json);
}

bool parse_op(std::string_view name, Op* op) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"connect", Op::connect}, {"subscribe", Op::subscribe}, {"unsubscribe", Op::unsubscribe},
      {"publish", Op::publish}, {"history", Op::history},     {"presence", Op::presence},
      {"ping", Op::ping},       {"refresh", Op::refresh}};
  for (const auto& [n, o] : kOps) {
    if (n == name) {
      *op = o;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view op_name(Op op) {
  switch (op) {
    case Op::connect:
      return "connect";
    case Op::subscribe:
      return "subscribe";
    case Op::unsubscribe:
      return "unsubscribe";
    case Op::publish:
      return "publish";
    case Op::history:
      return "history";
    case Op::presence:
      return "presence";
    case Op::ping:
      return "ping";
    case Op::refresh:
      return "refresh";
  }
  return "ping";
}

bool parse_command(std::string_view json, Command* out, ProtoError* err) {
  return parse_command(json, out, err, Framing::text);
}

bool parse_command(std::string_view json, Command* out, ProtoError* err, Framing framing) {
  enum { kId, kOp, kChannel, kSince, kData, kLimit, kToken, kB64, kCount };
  static constexpr std::string_view kNames[kCount] = {"id",   "op",    "channel", "since",
                                                      "data", "limit", "token",   "b64"};
  Slot slots[kCount];
  std::string_view dup;
  Shape shape = collect_fields(json, kNames, slots, &dup);
  if (shape != Shape::ok) return fail_shape(err, shape);

  // The id first, so that every later error can carry it.
  bool has_id = false;
  uint64_t id = 0;
  if (slots[kId].seen) {
    if (!read_uint(slots[kId], &id)) {
      fail(err, ProtoErrc::bad_field, false, 0, "id");
      err->id_text = id_text(slots[kId]);
      return false;
    }
    has_id = dup != "id";
  }
  if (!dup.empty()) return fail(err, ProtoErrc::duplicate_field, has_id, id, dup);

  Command& c = *out;
  c.has_id = has_id;
  c.id = id;
  std::string_view text;
  if (!slots[kOp].seen) return fail(err, ProtoErrc::missing_op, has_id, id);
  if (!read_string(slots[kOp], &text)) return fail(err, ProtoErrc::bad_field, has_id, id, "op");
  if (!parse_op(text, &c.op)) return fail(err, ProtoErrc::unknown_op, has_id, id);

  c.has_channel = slots[kChannel].seen;
  c.channel.clear();
  if (c.has_channel) {
    if (!read_string(slots[kChannel], &text)) {
      return fail(err, ProtoErrc::bad_field, has_id, id, "channel");
    }
    if (!valid_channel(text)) return fail(err, ProtoErrc::bad_channel, has_id, id);
    c.channel.assign(text);
  }
  c.has_since = slots[kSince].seen;
  c.since = Cursor{};
  if (c.has_since) {
    if (!read_string(slots[kSince], &text)) {
      return fail(err, ProtoErrc::bad_field, has_id, id, "since");
    }
    auto since = Cursor::parse(text);
    if (!since) return fail(err, ProtoErrc::bad_cursor, has_id, id);
    c.since = std::move(*since);
  }
  c.has_limit = slots[kLimit].seen;
  c.limit = 0;
  if (c.has_limit && !read_uint(slots[kLimit], &c.limit)) {
    return fail(err, ProtoErrc::bad_field, has_id, id, "limit");
  }
  c.has_token = slots[kToken].seen;
  c.token.clear();
  if (c.has_token) {
    if (!read_string(slots[kToken], &text)) {
      return fail(err, ProtoErrc::bad_field, has_id, id, "token");
    }
    c.token.assign(text);
  }
  if (!read_payload(slots[kData], slots[kB64], &c.data, &c.binary, &c.has_data, err, has_id, id))
    return false;
  if (framing == Framing::binary && c.has_data)
    return fail(err, ProtoErrc::two_payloads, has_id, id);

  switch (c.op) {
    case Op::connect:
    case Op::ping:
      break;
    case Op::refresh:
      if (!c.has_token) return fail(err, ProtoErrc::missing_token, has_id, id);
      break;
    case Op::publish:
      if (!c.has_channel) return fail(err, ProtoErrc::missing_channel, has_id, id);
      if (!c.has_data && framing == Framing::text)
        return fail(err, ProtoErrc::missing_data, has_id, id);
      break;
    case Op::subscribe:
    case Op::unsubscribe:
    case Op::history:
    case Op::presence:
      if (!c.has_channel) return fail(err, ProtoErrc::missing_channel, has_id, id);
      break;
  }
  return true;
}

bool parse_publish_body(std::string_view json, PublishBody* out, ProtoError* err) {
  enum { kChannel, kData, kB64, kCount };
  static constexpr std::string_view kNames[kCount] = {"channel", "data", "b64"};
  Slot slots[kCount];
  std::string_view dup;
  Shape shape = collect_fields(json, kNames, slots, &dup);
  if (shape != Shape::ok) return fail_shape(err, shape);
  if (!dup.empty()) return fail(err, ProtoErrc::duplicate_field, false, 0, dup);
  std::string_view text;
  if (!slots[kChannel].seen) return fail(err, ProtoErrc::missing_channel);
  if (!read_string(slots[kChannel], &text)) {
    return fail(err, ProtoErrc::bad_field, false, 0, "channel");
  }
  if (!valid_channel(text)) return fail(err, ProtoErrc::bad_channel);
  bool has = false;
  if (!read_payload(slots[kData], slots[kB64], &out->data, &out->binary, &has, err)) return false;
  if (!has) return fail(err, ProtoErrc::missing_data);
  out->channel.assign(text);
  return true;
}

bool parse_publish_view(std::string_view json, PublishView* out, ProtoError* err) {
  // "b64" is asked for only to send a body that has it to the reference parser.
  static constexpr std::string_view kNames[] = {"channel", "data", "b64"};
  scan::Field fields[3];
  std::string_view channel;
  out->binary = false;
  if (scan::scan_object(json, kNames, fields) && fields[0].seen && fields[1].seen &&
      !fields[2].seen && scan::plain_string(fields[0].raw, &channel) &&
      !(out->channel = base::ChannelName::check(channel)).empty()) {
    if (fields[1].compact) {
      out->data = fields[1].raw;
      return true;
    }
    thread_local std::string minified;
    minified.clear();
    if (append_minified(fields[1].raw, &minified)) {
      out->data = minified;
      return true;
    }
  }
  // Not the common shape, or an error: the reference parser decides and names it.
  thread_local PublishBody body;
  if (!parse_publish_body(json, &body, err)) return false;
  out->channel = base::ChannelName::check(body.channel);  // valid: judged again on this path
  out->data = body.data;
  out->binary = body.binary;
  return true;
}

bool parse_broadcast_body(std::string_view json, BroadcastBody* out, ProtoError* err,
                          size_t max_channels) {
  enum { kChannels, kData, kB64, kCount };
  static constexpr std::string_view kNames[kCount] = {"channels", "data", "b64"};
  Slot slots[kCount];
  std::string_view dup;
  Shape shape = collect_fields(json, kNames, slots, &dup);
  if (shape != Shape::ok) return fail_shape(err, shape);
  if (!dup.empty()) return fail(err, ProtoErrc::duplicate_field, false, 0, dup);
  if (!slots[kChannels].seen) return fail(err, ProtoErrc::missing_channel);
  dom::array list;
  if (slots[kChannels].value.get_array().get(list) != simdjson::SUCCESS) {
    return fail(err, ProtoErrc::bad_field, false, 0, "channels");
  }
  if (list.size() == 0) return fail(err, ProtoErrc::missing_channel);
  if (list.size() > max_channels) return fail(err, ProtoErrc::too_many_channels);
  out->channels.clear();
  for (dom::element e : list) {
    std::string_view name;
    if (e.get_string().get(name) != simdjson::SUCCESS) {
      return fail(err, ProtoErrc::bad_field, false, 0, "channels");
    }
    if (!valid_channel(name)) return fail(err, ProtoErrc::bad_channel);
    out->channels.emplace_back(name);
  }
  bool has = false;
  if (!read_payload(slots[kData], slots[kB64], &out->data, &out->binary, &has, err)) return false;
  if (!has) return fail(err, ProtoErrc::missing_data);
  return true;
}

bool parse_disconnect_body(std::string_view json, DisconnectBody* out, ProtoError* err) {
  enum { kUser, kClient, kReconnect, kCount };
  static constexpr std::string_view kNames[kCount] = {"user", "client", "reconnect"};
  Slot slots[kCount];
  std::string_view dup;
  Shape shape = collect_fields(json, kNames, slots, &dup);
  if (shape != Shape::ok) return fail_shape(err, shape);
  if (!dup.empty()) return fail(err, ProtoErrc::duplicate_field, false, 0, dup);
  std::string_view text[2];
  for (int i : {kUser, kClient}) {
    if (!slots[i].seen) continue;
    if (slots[i].value.get_string().get(text[i]) != simdjson::SUCCESS || text[i].empty())
      return fail(err, ProtoErrc::bad_field, false, 0, kNames[i]);
  }
  // One of them: "user" and "client" together would be ambiguous (both? either?).
  if (slots[kUser].seen == slots[kClient].seen)
    return fail(err, ProtoErrc::bad_field, false, 0, "user or client");
  out->user = std::string(text[kUser]);
  out->client = std::string(text[kClient]);
  out->reconnect = true;
  if (slots[kReconnect].seen &&
      slots[kReconnect].value.get_bool().get(out->reconnect) != simdjson::SUCCESS)
    return fail(err, ProtoErrc::bad_field, false, 0, "reconnect");
  return true;
}

bool minify_json(std::string_view json, std::string* out) {
  dom::element doc;
  std::string_view stand_in;
  if (parse_any_numbers(json, &doc, &stand_in) != simdjson::SUCCESS) return false;
  return append_minified(json, out);
}

bool parse_poll_response(std::string_view json, PollResponse* out, std::string* error) {
  out->messages.clear();
  out->cursor.clear();
  out->recovered = true;
  out->unrecovered.clear();
  enum { kMessages, kCursor, kRecovered, kUnrecovered, kCount };
  static constexpr std::string_view kNames[kCount] = {"messages", "cursor", "recovered",
                                                      "unrecovered"};
  Slot slots[kCount];
  std::string_view dup;
  if (collect_fields(json, kNames, slots, &dup) != Shape::ok) {
    *error = "poll answer is not JSON";
    return false;
  }
  simdjson::dom::array messages;
  std::string_view cursor;
  if (!slots[kMessages].seen || !slots[kCursor].seen ||
      slots[kMessages].value.get_array().get(messages) != simdjson::SUCCESS ||
      !read_string(slots[kCursor], &cursor)) {
    *error = "poll answer without messages and cursor";
    return false;
  }
  // Each message as the server's text (a DOM re-serialisation would rewrite its numbers).
  RawFields raw(slots[kMessages].raw);
  if (!raw.open_array()) {
    *error = "poll answer is not JSON";
    return false;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string_view text;
    std::string minified;
    if (!raw.next_element(&text) || !append_minified(text, &minified)) {
      *error = "poll answer is not JSON";
      return false;
    }
    out->messages.push_back(std::move(minified));
  }
  out->cursor = std::string(cursor);
  bool recovered = true;
  if (slots[kRecovered].seen &&
      slots[kRecovered].value.get_bool().get(recovered) == simdjson::SUCCESS)
    out->recovered = recovered;
  simdjson::dom::array unrecovered;
  if (slots[kUnrecovered].seen &&
      slots[kUnrecovered].value.get_array().get(unrecovered) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : unrecovered) {
      std::string_view name;
      if (c.get_string().get(name) == simdjson::SUCCESS) out->unrecovered.emplace_back(name);
    }
  }
  return true;
}

bool parse_server_message(std::string_view json, ServerMessage* out) {
  enum { kId, kResult, kError, kChannel, kOffset, kData, kJoin, kLeave, kB64, kCount };
  static constexpr std::string_view kNames[kCount] = {
      "id", "result", "error", "channel", "offset", "data", "join", "leave", "b64"};
  Slot slots[kCount];
  std::string_view dup;
  if (collect_fields(json, kNames, slots, &dup) != Shape::ok || !dup.empty()) return false;
  ServerMessage& m = *out;
  m = ServerMessage{};
  if (slots[kId].seen) {
    if (!read_uint(slots[kId], &m.id)) return false;
    m.has_id = true;
  }
  std::string_view text;
  if (slots[kChannel].seen) {
    if (!read_string(slots[kChannel], &text)) return false;
    m.channel.assign(text);
  }
  if (slots[kOffset].seen) {
    if (!read_uint(slots[kOffset], &m.offset)) return false;
    m.has_offset = true;
  }
  auto take_payload = [&](int slot, ServerMessageKind kind) {
    m.kind = kind;
    return append_minified(slots[slot].raw, &m.payload);
  };
  if (slots[kError].seen) {
    m.kind = ServerMessageKind::error;
    int64_t code = 0;
    if (slots[kError].value["code"].get_int64().get(code) != simdjson::SUCCESS) return false;
    if (slots[kError].value["message"].get_string().get(text) != simdjson::SUCCESS) return false;
    m.error_code = static_cast<int>(std::clamp<int64_t>(code, INT32_MIN, INT32_MAX));
    m.error_message.assign(text);
    return true;
  }
  if (slots[kResult].seen) return take_payload(kResult, ServerMessageKind::reply);
  if (slots[kChannel].seen) {
    if (slots[kData].seen) return take_payload(kData, ServerMessageKind::publication);
    if (slots[kB64].seen) {
      m.kind = ServerMessageKind::publication;
      m.binary = true;
      return read_string(slots[kB64], &text) && decode_base64(text, &m.payload);
    }
    if (slots[kJoin].seen) return take_payload(kJoin, ServerMessageKind::join);
    if (slots[kLeave].seen) return take_payload(kLeave, ServerMessageKind::leave);
  }
  return true;
}

}  // namespace herald::proto
