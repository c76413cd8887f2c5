#pragma once
// herald's error codes, as a std::error_code category, and a small Result<T>.
// No exceptions on the data path: functions that can fail return Result<T> or an error_code.
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace herald::base {

enum class Errc {
  ok = 0,
  bad_request,        // malformed input
  uri_too_long,       // 414
  headers_too_large,  // 431
  body_too_large,     // 413
  not_implemented,    // 501 (e.g. unknown Transfer-Encoding)
  timeout,            // 408 / idle
  limit_exceeded,     // a named limit was crossed
  not_found,
  forbidden,
  unauthorized,
  bad_channel,  // channel name outside the grammar of docs/protocol.md
  bad_cursor,
  closed,         // the peer or the server closed
  slow_consumer,  // output queue past its limit
  config_error,
  unavailable,     // engine/backplane not reachable
  already_exists,  // e.g. a second subscription of one subscriber to one channel
};

const std::error_category& herald_category();
inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), herald_category()};
}

/// Result<T>: a value or an error_code. Small on purpose: `ok()`, `value()`, `error()`.
template <typename T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}           // NOLINT(implicit)
  Result(std::error_code e) : v_(e) {}        // NOLINT(implicit)
  Result(Errc e) : v_(make_error_code(e)) {}  // NOLINT(implicit)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  std::error_code error() const { return ok() ? std::error_code{} : std::get<1>(v_); }

 private:
  std::variant<T, std::error_code> v_;
};

}  // namespace herald::base

template <>
struct std::is_error_code_enum<herald::base::Errc> : std::true_type {};
