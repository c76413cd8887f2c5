#pragma once
// StringHash: the hash of a std::string-keyed unordered map that also finds by string_view (or
// any string that converts to one) without building a std::string first. Use it with
// std::equal_to<> and pass lookups a std::string_view, or a HashedName when the hash is known.
#include <cstddef>
#include <functional>
#include <string_view>

namespace herald::base {

/// A name with its StringHash already computed: found without hashing it again.
struct HashedName {
  std::string_view text;
  size_t hash;
  friend bool operator==(const HashedName& a, std::string_view b) { return a.text == b; }
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  size_t operator()(const HashedName& n) const { return n.hash; }
};

}  // namespace herald::base
