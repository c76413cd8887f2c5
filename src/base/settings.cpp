#include "base/settings.h"

namespace herald::base {

const NamespaceSettings& Settings::namespace_for(std::string_view channel) const {
  size_t colon = channel.find(':');
  if (colon == std::string_view::npos) return channel_defaults;
  std::string_view ns = channel.substr(0, colon);
  for (const auto& n : namespaces)
    if (n.name == ns) return n;
  return channel_defaults;
}

}  // namespace herald::base
