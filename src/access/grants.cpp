#include "access/grants.h"

#include "base/channel.h"

namespace herald::access {

bool valid_grant(std::string_view pattern) {
  if (pattern.ends_with('*')) {
    pattern.remove_suffix(1);
    if (pattern.empty()) return true;
  }
  return base::valid_channel(pattern);
}

bool grant_matches(std::string_view pattern, std::string_view channel) {
  if (pattern.ends_with('*')) return channel.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == channel;
}

bool any_grant_matches(std::span<const std::string> patterns, std::string_view channel) {
  for (const std::string& p : patterns)
    if (grant_matches(p, channel)) return true;
  return false;
}

}  // namespace herald::access
