#pragma once
// The herald.v1 frame errors: what is wrong with a client frame (or an HTTP API body) itself,
// as a reply `{"id":N,"error":{"code":C,"message":"..."}}` (or the same object without "id" when
// the frame's id could not be read). Refusals and failures of a well-formed request (401, 403,
// 404, 409, 429, 503...) are the access layer's table (src/access/outcome.h). docs/protocol.md
// copies both tables. Codes follow HTTP's meaning so that the HTTP API answers with the same
// code as its status.
//
//   reason               code  message
//   malformed_json        400  malformed JSON          (not JSON, or not UTF-8)
//   not_object            400  frame is not an object
//   bad_field             400  bad field: NAME         (wrong type, e.g. "id":-1, "channel":5)
//   duplicate_field       400  duplicate field: NAME
//   missing_op            400  missing op
//   unknown_op            400  unknown op
//   missing_channel       400  missing channel
//   bad_channel           400  bad channel name        (outside the channel grammar)
//   bad_cursor            400  bad cursor              ("since" is not "epoch:offset")
//   missing_data          400  missing data            (publish without "data")
//   missing_token         400  missing token           (refresh without "token")
//   too_many_channels     400  too many channels       (HTTP broadcast)
//   bad_base64            400  bad base64 in b64       (not padded standard base64)
//   two_payloads          400  more than one payload   ("data" and "b64", or either one in a
//                                                       binary frame's object)
//   no_separator          400  binary frame without NUL separator
//   binary_op             400  binary frame for an op without payload  (not publish)
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::proto {

enum class ProtoErrc {
  malformed_json,
  not_object,
  bad_field,
  duplicate_field,
  missing_op,
  unknown_op,
  missing_channel,
  bad_channel,
  bad_cursor,
  missing_data,
  missing_token,
  too_many_channels,
  bad_base64,
  two_payloads,
  no_separator,
  binary_op,
};

/// The numeric code sent to clients (an HTTP status number).
int error_code(ProtoErrc e);

/// The default message sent to clients. For bad_field / duplicate_field the parser appends
/// ": NAME".
std::string_view error_message(ProtoErrc e);

/// An error reply to send: `{"id":id,"error":{"code":code,"message":message}}`, without "id"
/// when `has_id` is false (the frame's id was absent or unreadable).
struct ProtoError {
  int code = 0;
  std::string message;
  bool has_id = false;
  uint64_t id = 0;
  /// Without has_id: a number the frame gave as "id" that is not a valid id (negative,
  /// fractional, past uint64), echoed as sent (`{"id":-1,"error":...}`) so the client can
  /// match the reply; "" for none.
  std::string id_text;
  ProtoErrc reason = ProtoErrc::malformed_json;
};

/// A ProtoError with the default code and message of `e`.
ProtoError make_error(ProtoErrc e, bool has_id = false, uint64_t id = 0);

}  // namespace herald::proto
