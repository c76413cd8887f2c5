#pragma once
// The server's TLS context from the [tls] keys: built at start (a bad certificate or key stops
// the server with one clear line), again on SIGHUP (the new certificate serves new handshakes;
// open connections keep theirs), and by `herald check-config`.
#include <memory>
#include <string>

#include "base/error.h"
#include "base/settings.h"
#include "tls/context.h"

namespace herald::server {

/// The server context for `s`, or a null pointer when `s.tls_listen` is empty (no TLS).
/// Errc::config_error with `why` set when the certificate or key is missing, unreadable, not
/// PEM, or when they do not belong together.
base::Result<std::shared_ptr<const tls::Context>> load_tls(const base::Settings& s,
                                                           std::string& why);

/// What a plain-text HTTP request on the TLS port is answered with (then the connection is
/// closed): a 400 that says to use https:// or wss://.
std::string_view plaintext_on_tls_port();

}  // namespace herald::server
