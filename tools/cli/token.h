#pragma once
// `herald token`: mints a signed JWT for a user (tests, scripts, a backend without a JWT
// library), and with --verify checks one against keys the way the server does.
//
//   herald token --sub USER [--channels P,...] [--publish P,...] [--info JSON] [--ttl 1h]
//                [--aud A]... [--iss I] [--kid K] (--secret-file F | --key-file PEM [--alg A])
//     prints the token and a newline on stdout, exit 0.
//   herald token --verify TOKEN|- (--secret-file F | --key-file PEM | --jwks-file F)...
//                [--aud A] [--iss I] [--leeway SEC]
//     prints the claims herald reads as one JSON object on stdout, exit 0; or
//     "herald token: refused: REASON" on stderr (REASON as jwt::token_error_name), exit 1.
// Bad options, unreadable files, a key that does not fit the alg: a sentence on stderr, exit 2.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::cli {

struct TokenOptions {
  bool has_sub = false;  // --sub given ("" is a valid, user-less subject)
  std::string sub;
  std::vector<std::string> channels;  // subscribe grants
  std::vector<std::string> publish;   // publish grants
  std::string info;                   // a JSON object
  std::string ttl = "1h";             // 0 = no "exp"
  std::vector<std::string> aud;
  std::string iss;
  std::string kid;
  std::string alg;  // default: HS256 with a secret, else from the private key's type
  std::string secret_file;
  std::string key_file;   // minting: PEM private key; --verify: PEM public key
  std::string jwks_file;  // --verify only
  std::string verify;     // the token to check ("-": read it from stdin)
  int64_t leeway = 0;     // --verify: seconds of clock skew allowed on exp/nbf
};

/// Parses a lifetime: digits followed by s, m, h or d ("30s", "15m", "1h", "7d"; bare digits
/// are seconds), at most 10 years. False for anything else.
bool parse_ttl(std::string_view text, int64_t* seconds);

/// Runs the command (see the top of this file); returns the exit status.
int run_token(const TokenOptions& options);

}  // namespace herald::cli
