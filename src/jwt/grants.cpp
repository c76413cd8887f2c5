#include "jwt/grants.h"

#include "base/channel.h"

namespace herald::jwt {

bool valid_grant(std::string_view pattern) {
  if (pattern.empty()) return false;
  if (pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return prefix.empty() || base::valid_channel(prefix);
  }
  return base::valid_channel(pattern);
}

bool grant_matches(std::string_view pattern, std::string_view channel) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    // '*' stands for any rest, the empty one included: "chat:*" grants "chat:" too. An empty
    // channel is never granted, not even by "*" (it is not a channel name).
    return !channel.empty() && channel.starts_with(prefix);
  }
  return pattern == channel;
}

bool any_grant_matches(std::span<const std::string> patterns, std::string_view channel) {
  for (const std::string& p : patterns) {
    if (grant_matches(p, channel)) return true;
  }
  return false;
}

}  // namespace herald::jwt
