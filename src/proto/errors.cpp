#include "proto/errors.h"

namespace herald::proto {

int error_code(ProtoErrc e) {
  switch (e) {
    case ProtoErrc::malformed_json:
    case ProtoErrc::not_object:
    case ProtoErrc::bad_field:
    case ProtoErrc::duplicate_field:
    case ProtoErrc::missing_op:
    case ProtoErrc::unknown_op:
    case ProtoErrc::missing_channel:
    case ProtoErrc::bad_channel:
    case ProtoErrc::bad_cursor:
    case ProtoErrc::missing_data:
    case ProtoErrc::missing_token:
    case ProtoErrc::too_many_channels:
    case ProtoErrc::bad_base64:
    case ProtoErrc::two_payloads:
    case ProtoErrc::no_separator:
    case ProtoErrc::binary_op:
      return 400;
  }
  return 400;
}

std::string_view error_message(ProtoErrc e) {
  switch (e) {
    case ProtoErrc::malformed_json:
      return "malformed JSON";
    case ProtoErrc::not_object:
      return "frame is not an object";
    case ProtoErrc::bad_field:
      return "bad field";
    case ProtoErrc::duplicate_field:
      return "duplicate field";
    case ProtoErrc::missing_op:
      return "missing op";
    case ProtoErrc::unknown_op:
      return "unknown op";
    case ProtoErrc::missing_channel:
      return "missing channel";
    case ProtoErrc::bad_channel:
      return "bad channel name";
    case ProtoErrc::bad_cursor:
      return "bad cursor";
    case ProtoErrc::missing_data:
      return "missing data";
    case ProtoErrc::missing_token:
      return "missing token";
    case ProtoErrc::too_many_channels:
      return "too many channels";
    case ProtoErrc::bad_base64:
      return "bad base64 in b64";
    case ProtoErrc::two_payloads:
      return "more than one payload";
    case ProtoErrc::no_separator:
      return "binary frame without NUL separator";
    case ProtoErrc::binary_op:
      return "binary frame for an op without payload";
  }
  return "bad request";
}

ProtoError make_error(ProtoErrc e, bool has_id, uint64_t id) {
  ProtoError err;
  err.code = error_code(e);
  err.message.assign(error_message(e));
  err.has_id = has_id;
  err.id = id;
  err.reason = e;
  return err;
}

}  // namespace herald::proto
