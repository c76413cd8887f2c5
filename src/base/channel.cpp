#include "base/channel.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "base/byte_class.h"
#include "base/limits.h"

namespace herald::base {
namespace {

constexpr bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A 256-entry table: one load per byte (every publish and subscribe checks a name).
constexpr std::array<bool, 256> make_channel_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[size_t(c)] = is_alnum(char(c));
  for (char c : std::string_view("_.:@#=-")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kChannelChar = make_channel_table();

// The same grammar as classes that OR together: a name's bytes are folded into one byte with
// no branch per byte, and only a name with a ',' needs the ordered check (',' only after '#').
constexpr uint8_t kBad = 1, kComma = 2;
constexpr std::array<uint8_t, 256> make_class_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[size_t(c)] = make_channel_table()[size_t(c)] ? 0 : kBad;
  t[static_cast<unsigned char>(',')] = kComma;
  return t;
}
constexpr std::array<uint8_t, 256> kChannelClass = make_class_table();

}  // namespace

bool parse_offset(std::string_view digits, uint64_t* out) {
  if (digits.empty() || digits.size() > 20) return false;
  if (digits.size() > 1 && digits[0] == '0') return false;  // one spelling per cursor
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  return ec == std::errc() && ptr == digits.data() + digits.size();  // not on overflow
}

bool is_channel_char(char c) {
  return kChannelChar[static_cast<unsigned char>(c)];
}

bool valid_channel(std::string_view name) {
  if (name.empty() || name.size() > limits::kMaxChannelName) return false;
  uint8_t seen = fold_byte_classes(name, kChannelClass);
  if (seen == 0) return true;
  if (seen & kBad) return false;
  bool users = false;  // past a '#': ',' separates the users of a user-limited channel
  for (char c : name) {
    if (kChannelChar[static_cast<unsigned char>(c)]) {
      users |= c == '#';
    } else if (c != ',' || !users) {
      return false;
    }
  }
  return true;
}

std::string_view channel_namespace(std::string_view name) {
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
}

bool valid_epoch(std::string_view epoch) {
  // Asked for every answered publish and every cursor written: one table load per byte.
  static constexpr std::array<bool, 256> kAlnum = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[size_t(c)] = is_alnum(char(c));
    return t;
  }();
  if (epoch.empty() || epoch.size() > kMaxEpochLength) return false;
  bool ok = true;
  for (char c : epoch) ok &= kAlnum[static_cast<unsigned char>(c)];
  return ok;
}

void append_cursor(std::string& out, std::string_view epoch, uint64_t offset) {
  out.append(epoch);
  out.push_back(':');
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, offset);
  out.append(buf, ptr);
}

std::string Cursor::str() const {
  std::string out;
  out.reserve(epoch.size() + 21);
  append_cursor(out, epoch, offset);
  return out;
}

std::optional<Cursor> Cursor::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view epoch = text.substr(0, colon);
  Cursor c;
  if (!valid_epoch(epoch) || !parse_offset(text.substr(colon + 1), &c.offset)) {
    return std::nullopt;
  }
  c.epoch.assign(epoch);
  return c;
}

}  // namespace herald::base
