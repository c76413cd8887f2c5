#include "base/error.h"

namespace herald::base {
namespace {
class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "herald"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::ok:
        return "ok";
      case Errc::bad_request:
        return "bad request";
      case Errc::uri_too_long:
        return "URI too long";
      case Errc::headers_too_large:
        return "request header fields too large";
      case Errc::body_too_large:
        return "payload too large";
      case Errc::not_implemented:
        return "not implemented";
      case Errc::timeout:
        return "timeout";
      case Errc::limit_exceeded:
        return "limit exceeded";
      case Errc::not_found:
        return "not found";
      case Errc::forbidden:
        return "permission denied";
      case Errc::unauthorized:
        return "unauthorized";
      case Errc::bad_channel:
        return "bad channel name";
      case Errc::bad_cursor:
        return "bad cursor";
      case Errc::closed:
        return "closed";
      case Errc::slow_consumer:
        return "slow consumer";
      case Errc::config_error:
        return "configuration error";
      case Errc::unavailable:
        return "unavailable";
      case Errc::already_exists:
        return "already exists";
    }
    return "unknown error";
  }
};
}  // namespace

const std::error_category& herald_category() {
  static Category c;
  return c;
}
}  // namespace herald::base
