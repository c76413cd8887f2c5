#pragma once
// StringHash: the hash of a std::string-keyed unordered map that also finds by string_view (or
// any string that converts to one) without building a std::string first. Use it with
// std::equal_to<> and pass lookups a std::string_view.
#include <cstddef>
#include <functional>
#include <string_view>

namespace herald::base {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace herald::base
