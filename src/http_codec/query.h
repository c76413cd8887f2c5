#pragma once
// Percent-decoding (RFC 3986 §2.1) and query-string parsing
// (application/x-www-form-urlencoded: '&'-separated name=value pairs, '+' is a space).
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace herald::http {

/// Decodes %XX escapes of `in` (and '+' as a space when `plus_as_space`, for query strings)
/// and appends the result to `out`. Returns false on an invalid escape ('%' not followed by
/// two hex digits); `out` may then hold a partial result.
bool percent_decode_into(std::string_view in, bool plus_as_space, std::string& out);

/// Returns the decoded string, or Errc::bad_request on an invalid escape.
base::Result<std::string> percent_decode(std::string_view in, bool plus_as_space);

struct QueryParam {
  std::string name;   // decoded
  std::string value;  // decoded; "" for "name" and "name="
};

/// All the parameters of a query string, in order, repeated names kept
/// (`channel=a&channel=b`).
/// The first parameter name of the raw query `query` that is not in `known` (decoded, so
/// `%73ince` is `since`), or "" when every name is known. An endpoint answers such a name 400
/// instead of ignoring it: a misspelt `?cursor=` must not silently start a stream from now.
/// Pairs with an empty name, or one that does not decode, are skipped (QueryParams::parse
/// reports the latter).
std::string first_unknown_param(std::string_view query, std::span<const std::string_view> known);

/// Query parameter names whose values are credentials (compared case-insensitively, after
/// decoding): their values never reach a log.
inline constexpr std::string_view kCredentialParams[] = {
    "token",  "access_token", "id_token", "refresh_token", "jwt",       "auth", "api_key",
    "apikey", "key",          "password", "secret",        "signature", "sig"};

/// `path` plus `?query` with the value of every credential parameter (kCredentialParams)
/// replaced by `REDACTED`, for logs. The rest stays as the client sent it (raw, not decoded).
std::string redacted_target(std::string_view path, std::string_view query);

class QueryParams {
 public:
  /// Parses the raw query (the part after '?', without it). Empty pairs ("a=1&&b=2") are
  /// skipped. Errc::bad_request if any name or value has an invalid percent escape.
  static base::Result<QueryParams> parse(std::string_view query);

  const std::vector<QueryParam>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

  /// Every value of `name` (exact, case-sensitive), in order. The views point into this object.
  std::vector<std::string_view> all(std::string_view name) const;
  /// The first value of `name`, or an empty view and *found = false.
  std::string_view get(std::string_view name, bool* found = nullptr) const;
  /// True if `name` appears at least once.
  bool has(std::string_view name) const;

 private:
  std::vector<QueryParam> items_;
};

}  // namespace herald::http
