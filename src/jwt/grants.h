#pragma once
// Grant patterns: what a token's "channels" (subscribe) and "publish" claims hold. A pattern
// is either an exact channel name ("chat:lobby") or a prefix followed by one trailing '*'
// ("chat:*" matches every channel that starts with "chat:", "*" matches every channel).
// There is no other wildcard: '*' is not a channel character, so a pattern has exactly one
// reading and matching is a prefix comparison.
#include <span>
#include <string>
#include <string_view>

namespace herald::jwt {

/// True when `pattern` is a valid channel name, or a valid channel name followed by '*', or
/// "*" alone. Tokens whose grants fail this are refused (bad_claims) before any grant is used.
bool valid_grant(std::string_view pattern);

/// True when `pattern` (which must satisfy valid_grant) grants `channel`: equal for an exact
/// pattern, a prefix of it for a '*' pattern ("chat:*" grants "chat:a" and "chat:", not
/// "chat"). An empty channel is never granted.
bool grant_matches(std::string_view pattern, std::string_view channel);

/// True when any of `patterns` grants `channel`; false for an empty list.
bool any_grant_matches(std::span<const std::string> patterns, std::string_view channel);

}  // namespace herald::jwt
