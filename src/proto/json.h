#pragma once
// herald.v1, the JSON protocol of docs/protocol.md: client frames (parse) and server frames
// (encode), plus the HTTP API bodies that share its shapes.
//
// `data` is kept as text. The server validates a client's value once, stores its minified JSON
// text (whitespace outside strings removed, every other byte as sent: numbers, escapes and key
// order are untouched) and splices that text into every push; it never re-parses it per
// delivery. Size limits are the caller's: check the frame or body length before parsing.
// Any valid JSON number is carried, also one that fits none of int64, uint64 and double
// (123456789012345678901234567890, 1e400): `data` keeps its text. A field herald reads as a
// number (id, limit) must fit a uint64; a number "id" that does not is echoed as sent in the
// error reply.
//
// Encoders append to a std::string and build no DOM. Raw arguments (`*_raw`) must already be
// valid JSON (e.g. a `data` produced by the parsers here); strings are escaped.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/channel.h"
#include "base/json_string.h"
#include "proto/cursor.h"
#include "proto/errors.h"

namespace herald::proto {

// ---- client -> server --------------------------------------------------------------------

enum class Op { connect, subscribe, unsubscribe, publish, history, presence, ping, refresh };

/// The wire name of an op: "connect", "subscribe", ...
std::string_view op_name(Op op);

/// One parsed client frame. Fields a frame did not carry have has_* == false. Unknown fields
/// are ignored (the protocol may grow); known fields are type-checked whatever the op.
struct Command {
  bool has_id = false;
  uint64_t id = 0;
  Op op = Op::ping;
  bool has_channel = false;
  std::string channel;  // valid_channel() when present
  bool has_since = false;
  Cursor since;           // parsed from "epoch:offset" when present (parsed once, here)
  bool has_data = false;  // "data" or "b64" (or a binary frame's bytes)
  std::string data;       // minified JSON text of "data", e.g. {"a":1}, "x", 5, null; the bytes
                          // when `binary`
  bool binary = false;    // the payload is bytes: from "b64" (decoded) or a binary frame
  bool has_limit = false;
  uint64_t limit = 0;
  bool has_token = false;
  std::string token;
};

/// Parses one client frame (a WebSocket text message). On success fills `*out` (reusing its
/// strings' capacity; fields absent from the frame are reset) and returns true. Otherwise
/// fills `*err` (see errors.h; it carries the frame's id when "id" was a valid non-negative
/// integer) and returns false. Requirements per op: subscribe, unsubscribe, history, presence
/// need "channel"; publish needs "channel" and one of "data" and "b64" (base64 of bytes,
/// decoded into `data` with `binary` set); refresh needs "token"; connect
/// ("token" optional) and ping need nothing. Not thread-safe across threads only in the sense that
/// each thread uses its own parser (thread_local); safe to call from every loop.
bool parse_command(std::string_view json, Command* out, ProtoError* err);

/// Where a command object came from: a text frame (all of it) or the part of a binary frame
/// before its NUL (proto/binary.h), whose payload follows: then publish needs no "data", and a
/// "data" or "b64" in the object is two_payloads.
enum class Framing { text, binary };
bool parse_command(std::string_view json, Command* out, ProtoError* err, Framing framing);

/// POST /api/publish body: {"channel":"c","data":<any JSON>}, or {"channel":"c","b64":"..."}
/// for bytes.
struct PublishBody {
  std::string channel;
  std::string data;     // minified JSON text, or the decoded bytes when `binary`
  bool binary = false;  // from "b64"
};

/// Parses a publish body; "channel" and one of "data" and "b64" are required. Errors as
/// parse_command (never with id).
/// This is the reference parser (simdjson's DOM); parse_publish_view must agree with it.
bool parse_publish_body(std::string_view json, PublishBody* out, ProtoError* err);

/// A parsed publish body as views, for the server's hot path (no copy of the body).
struct PublishView {
  base::ChannelName channel;  // judged once, here
  std::string_view data;      // minified JSON text, or bytes when `binary`
  bool binary = false;
};

/// The same answer as parse_publish_body (same acceptance, same texts, same error), without
/// copying: the views point into `json` when the body is compact, else into a per-thread
/// buffer that stays valid until the next call on this thread. A body of the common shape
/// (ASCII, compact or not) is validated in one pass; anything else goes through
/// parse_publish_body.
bool parse_publish_view(std::string_view json, PublishView* out, ProtoError* err);

inline constexpr size_t kMaxBroadcastChannels = 1000;

/// POST /api/broadcast body: {"channels":["a","b"],"data":<any JSON>} (or "b64" for bytes).
struct BroadcastBody {
  std::vector<std::string> channels;  // 1..max_channels valid names, in the order given
  std::string data;                   // minified JSON text, or the bytes when `binary`
  bool binary = false;
};

/// Parses a broadcast body; "channels" must be a non-empty array of valid channel names, at
/// most `max_channels` of them (else too_many_channels); "data" or "b64" is required.
bool parse_broadcast_body(std::string_view json, BroadcastBody* out, ProtoError* err,
                          size_t max_channels = kMaxBroadcastChannels);

/// POST /api/disconnect: whose connections to end.
struct DisconnectBody {
  std::string user;       // every connection of this user ("" : not by user)
  std::string client;     // the one connection with this client id ("" : not by client)
  bool reconnect = true;  // the client may come back (WebSocket close 4006) or not (4506)
};

/// Parses a disconnect body: exactly one of "user" and "client" (a non-empty string), and an
/// optional boolean "reconnect".
bool parse_disconnect_body(std::string_view json, DisconnectBody* out, ProtoError* err);

/// Validates that `json` is exactly one JSON value and appends its minified text to `*out`.
/// Returns false (leaving `*out` unchanged) when it is not valid JSON. `json` must not point
/// into `*out`.
bool minify_json(std::string_view json, std::string* out);

// ---- server -> client, as seen by a client (bench, CLI, tests) ---------------------------

enum class ServerMessageKind { reply, error, publication, join, leave, unknown };

/// One parsed server frame. `payload` is the minified text of "result" (reply), "data"
/// (publication) or "join"/"leave" (presence pushes); for a publication with "b64", its
/// decoded bytes, with `binary` set.
struct ServerMessage {
  ServerMessageKind kind = ServerMessageKind::unknown;
  bool has_id = false;
  uint64_t id = 0;
  std::string channel;
  bool has_offset = false;
  uint64_t offset = 0;
  std::string payload;
  bool binary = false;
  int error_code = 0;
  std::string error_message;
};

/// Parses one server frame; false when it is not a JSON object or a known field has the wrong
/// type. An object of unknown shape parses as kind == unknown.
bool parse_server_message(std::string_view json, ServerMessage* out);

/// {"messages":[PUSH...],"cursor":"...","recovered":false,"unrecovered":["c"]} as a client
/// reads it. `messages` hold each push object's minified JSON text.
struct PollResponse {
  std::vector<std::string> messages;
  std::string cursor;
  bool recovered = true;  // false when the answer said "recovered":false
  std::vector<std::string> unrecovered;
};

/// Parses a poll answer; false (with `*error` set) when it is not of that shape.
bool parse_poll_response(std::string_view json, PollResponse* out, std::string* error);

// ---- encoders ----------------------------------------------------------------------------

/// Appends `s` as a JSON string literal (base/json_string.h: escaped, invalid UTF-8 replaced by
/// U+FFFD, always valid JSON).
inline void append_json_string(std::string& out, std::string_view s) {
  base::append_json_string(out, s);
}

/// Appends the decimal form of `v`.
void append_uint(std::string& out, uint64_t v);

/// {"id":ID,"result":RESULT_RAW}
void encode_reply_ok(std::string& out, uint64_t id, std::string_view result_raw);

/// {"id":ID,"result":{}}  (ping, connect, unsubscribe)
void encode_pong(std::string& out, uint64_t id);

/// {"id":ID,"result":{"cursor":"E:N"}} plus ,"recovered":B when has_recovered (docs/protocol.md:
/// only when the subscribe carried "since").
void encode_subscribe_result(std::string& out, uint64_t id, const Cursor& cursor,
                             bool has_recovered, bool recovered);

/// {"id":ID,"error":{"code":C,"message":"..."}}; without "id" when !has_id.
void encode_error(std::string& out, bool has_id, uint64_t id, int code, std::string_view message);
void encode_error(std::string& out, const ProtoError& err);

/// {"channel":"c","offset":N,"data":DATA_RAW} - the push of a publication, identical on every
/// transport (WebSocket frame, SSE data, poll message).
void encode_push(std::string& out, std::string_view channel, uint64_t offset,
                 std::string_view data_raw);

/// The same object written in place, for a caller that puts it straight into a buffer of its
/// own (a WebSocket frame): push_size() bytes, written by write_push() at `p`, which returns
/// the end. `channel_text` goes between the quotes as it is: a valid channel name (no byte of
/// one is escaped in JSON), or a name already escaped.
size_t push_size(std::string_view channel_text, uint64_t offset, std::string_view data_raw);
char* write_push(char* p, std::string_view channel_text, uint64_t offset,
                 std::string_view data_raw);

/// {"channel":"c","join":INFO_RAW} / {"channel":"c","leave":INFO_RAW}
void encode_join_push(std::string& out, std::string_view channel, std::string_view info_raw);
void encode_leave_push(std::string& out, std::string_view channel, std::string_view info_raw);

/// {"offset":N,"epoch":"E"} - the HTTP publish answer, also the result of the publish op.
void encode_publish_result_object(std::string& out, uint64_t offset, std::string_view epoch);

/// {"id":ID,"result":{"offset":N,"epoch":"E"}}
void encode_publish_result(std::string& out, uint64_t id, uint64_t offset, std::string_view epoch);

/// A stored publication as the history encoder reads it.
struct PublicationView {
  uint64_t offset = 0;
  std::string_view data_raw;  // JSON text, or bytes when `binary`
  bool binary = false;
};

/// {"offset":N,"data":D}, or {"offset":N,"b64":"<base64>"} for bytes: one history entry (the
/// HTTP API's and the history op's).
void append_history_entry(std::string& out, const PublicationView& pub);

/// {"id":ID,"result":{"publications":[{"offset":N,"data":D},...],"cursor":"E:N"}} plus
/// ,"recovered":B when has_recovered. A binary publication is {"offset":N,"b64":"..."}.
void encode_history_result(std::string& out, uint64_t id, std::span<const PublicationView> pubs,
                           const Cursor& cursor, bool has_recovered, bool recovered);

/// One present client as presence lists and join/leave pushes show it:
/// {"client":"c0-1","user":"alice","info":{...}} ("user" and "info" only when not empty).
struct PresenceView {
  std::string_view client;
  std::string_view user;
  std::string_view info;  // raw JSON object, or ""
};
void encode_presence_entry(std::string& out, const PresenceView& who);

/// {"connections":N,"users":U,"clients":[ENTRY,...]} (the HTTP API's presence answer)
void encode_presence_object(std::string& out, uint64_t connections, uint64_t users,
                            std::span<const PresenceView> clients);

/// {"id":ID,"result":PRESENCE_OBJECT}
void encode_presence_result(std::string& out, uint64_t id, uint64_t connections, uint64_t users,
                            std::span<const PresenceView> clients);

/// The poll answer (docs/protocol.md): {"messages":[PUSH,...],"cursor":"..."} where each PUSH is an
/// already encoded push object (encode once, fan out); when `unrecovered` is not empty, adds
/// ,"recovered":false,"unrecovered":["c",...].
void encode_poll_response(std::string& out, std::span<const std::string_view> pushes,
                          std::string_view cursor, std::span<const std::string> unrecovered);

}  // namespace herald::proto
