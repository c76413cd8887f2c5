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
    case ProtoErrc::too_many_channels:
      return 400;
    case ProtoErrc::unauthorized:
      return 401;
    case ProtoErrc::forbidden:
      return 403;
    case ProtoErrc::not_subscribed:
    case ProtoErrc::not_available:
      return 404;
    case ProtoErrc::already_subscribed:
      return 409;
    case ProtoErrc::message_too_large:
      return 413;
    case ProtoErrc::rate_limited:
    case ProtoErrc::too_many_subscriptions:
      return 429;
    case ProtoErrc::internal:
      return 500;
    case ProtoErrc::unavailable:
      return 503;
  }
  return 500;
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
    case ProtoErrc::too_many_channels:
      return "too many channels";
    case ProtoErrc::unauthorized:
      return "unauthorized";
    case ProtoErrc::forbidden:
      return "permission denied";
    case ProtoErrc::not_subscribed:
      return "not subscribed";
    case ProtoErrc::not_available:
      return "not available";
    case ProtoErrc::already_subscribed:
      return "already subscribed";
    case ProtoErrc::message_too_large:
      return "message too large";
    case ProtoErrc::rate_limited:
      return "rate limit exceeded";
    case ProtoErrc::too_many_subscriptions:
      return "too many subscriptions";
    case ProtoErrc::internal:
      return "internal error";
    case ProtoErrc::unavailable:
      return "unavailable";
  }
  return "internal error";
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
