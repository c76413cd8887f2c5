#include "access/identity.h"

#include <charconv>

namespace herald::access {

namespace {
constexpr uint64_t kCountMask = (uint64_t(1) << 48) - 1;
}  // namespace

const IdentityPtr& admin_identity() {
  static const IdentityPtr kAdmin = [] {
    auto id = std::make_unique<Identity>();
    id->source = Source::api_key;
    return IdentityPtr(std::move(id));
  }();
  return kAdmin;
}

ClientId ClientId::next(int loop_index) {
  thread_local uint64_t counter = 0;
  // 2^48 connections on one loop would take 9 years at a million a second.
  counter = (counter + 1) & kCountMask;
  if (counter == 0) counter = 1;
  return ClientId(uint64_t(uint16_t(loop_index)) << 48 | counter);
}

std::optional<ClientId> ClientId::parse(std::string_view text) {
  uint64_t loop = 0, n = 0;
  size_t dash = text.find('-');
  if (text.size() < 4 || text[0] != 'c' || dash == std::string_view::npos) return std::nullopt;
  auto read = [](std::string_view digits, uint64_t max, uint64_t* out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
    return ec == std::errc() && end == digits.data() + digits.size() && *out <= max;
  };
  if (!read(text.substr(1, dash - 1), UINT16_MAX, &loop) ||
      !read(text.substr(dash + 1), kCountMask, &n) || n == 0)
    return std::nullopt;
  ClientId id(loop << 48 | n);
  if (id.text() != text) return std::nullopt;  // "c01-7", "c0-07": not as an id is spelled
  return id;
}

std::string ClientId::text() const {
  if (empty()) return {};
  return "c" + std::to_string(bits_ >> 48) + "-" + std::to_string(bits_ & kCountMask);
}

}  // namespace herald::access
