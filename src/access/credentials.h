#pragma once
// What a request carries to say who is asking: a bearer token (the `Authorization: Bearer`
// header, any case of the scheme as RFC 9110 §11.1 wants, or `?token=` since EventSource cannot
// set headers) and the client's real address (after trusted proxies, access/client_address.h).
// Pure: no I/O.
#include <string_view>

#include "access/outcome.h"
#include "base/settings.h"

namespace herald::access {

/// The token of an `Authorization` header value: "Bearer TOKEN" with the scheme in any case and
/// one or more spaces; false when the header is not a bearer credential.
bool bearer_token(std::string_view authorization, std::string_view* token);

/// Constant-time comparison of two secrets (their length is not hidden).
bool secrets_equal(std::string_view a, std::string_view b);

/// The WWW-Authenticate value of a 401: `Bearer` when the request carried no credentials,
/// `Bearer error="invalid_token"` when it carried a bad one (RFC 6750 §3.1).
std::string_view challenge(bool had_credentials);

}  // namespace herald::access
