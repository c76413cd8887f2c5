#pragma once
// Channel names (SPEC §2): 1-255 bytes of [A-Za-z0-9_.:@#=-], optionally "namespace:rest".
#include <string_view>

namespace herald::proto {

/// True when `name` is a valid channel name: 1 to base::limits::kMaxChannelName bytes, each one
/// of [A-Za-z0-9_.:@#=-]. Every surface checks names with this before touching the hub.
bool valid_channel(std::string_view name);

/// True when `c` may appear in a channel name.
bool is_channel_char(char c);

/// The namespace of a channel: the part before the first ':', or empty when there is no ':'.
/// The returned view points into `name`. "chat:room:1" -> "chat"; "news" -> "".
std::string_view channel_namespace(std::string_view name);

}  // namespace herald::proto
