#include "proto/channel.h"

#include <array>

#include "base/limits.h"

namespace herald::proto {
namespace {

// A 256-entry table keeps the check branch-free per byte; names are validated on every
// subscribe and publish.
constexpr std::array<bool, 256> make_channel_table() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("_.:@#=-")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kChannelChar = make_channel_table();

}  // namespace

bool is_channel_char(char c) {
  return kChannelChar[static_cast<unsigned char>(c)];
}

bool valid_channel(std::string_view name) {
  if (name.empty() || name.size() > base::limits::kMaxChannelName) return false;
  for (char c : name) {
    if (!kChannelChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

std::string_view channel_namespace(std::string_view name) {
  size_t colon = name.find(':');
  if (colon == std::string_view::npos) return {};
  return name.substr(0, colon);
}

}  // namespace herald::proto
