#include "proto/cursor.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "proto/channel.h"

namespace herald::proto {
namespace {

constexpr std::string_view kMultiPrefix = "m1.";
constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> make_b64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Alphabet[i])] = int8_t(i);
  return t;
}
constexpr std::array<int8_t, 256> kB64Value = make_b64_table();

void base64url_append(std::string& out, std::string_view in) {
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 |
                 uint32_t(uint8_t(in[i + 2]));
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
    out.push_back(kB64Alphabet[v & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
  }
}

// Strict decoder: only the url alphabet, no padding, and the unused low bits of a short last
// group must be zero, so that every payload has exactly one encoding.
bool base64url_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1) return false;
  out.clear();
  out.reserve(in.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int8_t v = kB64Value[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace

std::string format_cursor(const Cursor& c) {
  std::string out;
  append_cursor(out, c.epoch, c.offset);
  return out;
}

base::Result<Cursor> parse_cursor(std::string_view text) {
  auto c = Cursor::parse(text);
  if (!c) return base::Errc::bad_cursor;
  return std::move(*c);
}

std::string encode_multi_cursor(const std::vector<ChannelCursor>& cursors) {
  std::string payload;
  std::string_view prev_epoch;
  for (size_t i = 0; i < cursors.size(); ++i) {
    const auto& [channel, cursor] = cursors[i];
    if (i > 0) payload.push_back(',');
    payload.append(channel);
    payload.push_back(' ');
    append_cursor(payload, i > 0 && cursor.epoch == prev_epoch ? std::string_view() : cursor.epoch,
                  cursor.offset);
    prev_epoch = cursor.epoch;
  }
  std::string out(kMultiPrefix);
  base64url_append(out, payload);
  return out;
}

base::Result<std::vector<ChannelCursor>> decode_multi_cursor(std::string_view text,
                                                             size_t max_channels,
                                                             size_t max_bytes) {
  if (text.size() > max_bytes || !text.starts_with(kMultiPrefix)) return base::Errc::bad_cursor;
  std::string payload;
  if (!base64url_decode(text.substr(kMultiPrefix.size()), payload)) return base::Errc::bad_cursor;

  std::vector<ChannelCursor> out;
  if (payload.empty()) return out;
  std::string_view rest = payload;
  while (true) {
    if (out.size() == max_channels) return base::Errc::bad_cursor;
    // The channel ends at the first space (it may contain ','), its cursor at the next ','.
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) return base::Errc::bad_cursor;
    std::string_view channel = rest.substr(0, space);
    std::string_view after = rest.substr(space + 1);
    size_t comma = after.find(',');
    std::string_view cursor = after.substr(0, comma);
    if (!valid_channel(channel)) return base::Errc::bad_cursor;
    for (const auto& seen : out) {
      if (seen.first == channel) return base::Errc::bad_cursor;
    }
    size_t colon = cursor.find(':');
    if (colon == std::string_view::npos) return base::Errc::bad_cursor;
    Cursor c;
    std::string_view epoch = cursor.substr(0, colon);
    if (epoch.empty()) {
      if (out.empty()) return base::Errc::bad_cursor;  // nothing to inherit from
      c.epoch = out.back().second.epoch;
    } else if (valid_epoch(epoch)) {
      c.epoch.assign(epoch);
    } else {
      return base::Errc::bad_cursor;
    }
    if (!parse_offset(cursor.substr(colon + 1), &c.offset)) return base::Errc::bad_cursor;
    out.emplace_back(std::string(channel), std::move(c));
    if (comma == std::string_view::npos) break;
    rest = after.substr(comma + 1);
  }
  return out;
}

base::Result<std::vector<ChannelCursor>> decode_any_cursor(std::string_view text,
                                                           std::span<const std::string> channels) {
  if (text.find(':') != std::string_view::npos) {
    if (channels.size() != 1) return base::Errc::bad_cursor;
    auto c = parse_cursor(text);
    if (!c) return c.error();
    std::vector<ChannelCursor> out;
    out.emplace_back(channels[0], std::move(*c));
    return out;
  }
  auto all = decode_multi_cursor(text);
  if (!all) return all.error();
  std::vector<ChannelCursor> out;
  for (auto& entry : *all) {
    if (std::find(channels.begin(), channels.end(), entry.first) != channels.end()) {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace herald::proto
