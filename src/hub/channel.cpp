#include "hub/channel.h"

#include <array>

#include "base/limits.h"

namespace herald::hub {

namespace {

constexpr bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A 256-entry table: one load per byte (publish and subscribe check every name).
constexpr std::array<bool, 256> make_channel_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[size_t(c)] = is_alnum(char(c));
  for (char c : std::string_view("_.:@#=-")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kChannelChar = make_channel_table();

}  // namespace

bool valid_channel(std::string_view name) {
  if (name.empty() || name.size() > base::limits::kMaxChannelName) return false;
  for (char c : name) {
    if (!kChannelChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

std::string_view channel_namespace(std::string_view channel) {
  size_t colon = channel.find(':');
  return colon == std::string_view::npos ? std::string_view{} : channel.substr(0, colon);
}

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Cursor::str() const {
  std::string out;
  out.reserve(epoch.size() + 21);
  out += epoch;
  out += ':';
  out += std::to_string(offset);
  return out;
}

std::optional<Cursor> Cursor::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > kMaxEpochLength) {
    return std::nullopt;
  }
  std::string_view epoch = text.substr(0, colon);
  std::string_view digits = text.substr(colon + 1);
  for (char c : epoch) {
    if (!is_alnum(c)) return std::nullopt;
  }
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // one spelling per cursor
  uint64_t offset = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = uint64_t(c - '0');
    if (offset > (UINT64_MAX - d) / 10) return std::nullopt;  // would overflow
    offset = offset * 10 + d;
  }
  return Cursor{std::string(epoch), offset};
}

}  // namespace herald::hub
