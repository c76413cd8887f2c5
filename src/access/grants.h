#pragma once
// Grants: the channels a token lets its holder subscribe to ("channels") or publish on
// ("publish"). A grant is an exact channel name, or a prefix ending in '*' ("chat:*", "*").
#include <span>
#include <string>
#include <string_view>

namespace herald::access {

/// A pattern is a valid channel name once a trailing '*' is removed (or empty before '*').
bool valid_grant(std::string_view pattern);
bool grant_matches(std::string_view pattern, std::string_view channel);
bool any_grant_matches(std::span<const std::string> patterns, std::string_view channel);

}  // namespace herald::access
