// fuzz-links: jwt
// Grant patterns on arbitrary bytes: "PATTERN\0CHANNEL". Never crashes, and for a valid
// pattern and a valid channel the answer is the documented one: equality, or a prefix test for
// a trailing '*'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/channel.h"
#include "jwt/grants.h"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t zero = input.find('\0');
  std::string_view pattern = input.substr(0, zero);
  std::string_view channel = zero == std::string_view::npos ? "" : input.substr(zero + 1);

  bool valid = jwt::valid_grant(pattern);
  bool matches = jwt::grant_matches(pattern, channel);
  std::vector<std::string> list = {std::string(pattern)};
  if (jwt::any_grant_matches(list, channel) != matches) abort();
  if (!valid) return 0;

  // A valid pattern holds at most one '*', as its last byte.
  size_t star = pattern.find('*');
  bool wildcard = star != std::string_view::npos;
  if (wildcard && star != pattern.size() - 1) abort();
  std::string_view prefix = wildcard ? pattern.substr(0, star) : pattern;
  if (!prefix.empty() && !base::valid_channel(prefix)) abort();

  if (base::valid_channel(channel)) {
    bool expect = wildcard ? channel.substr(0, prefix.size()) == prefix : channel == pattern;
    if (matches != expect) abort();
  }
  if (channel.empty() && matches) abort();
  // An exact pattern grants itself; a prefix grants itself plus any valid rest.
  if (!wildcard && !jwt::grant_matches(pattern, pattern)) abort();
  if (wildcard && !jwt::grant_matches(pattern, std::string(prefix) + "x")) abort();
  return 0;
}
