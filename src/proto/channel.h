#pragma once
// Channel names (docs/protocol.md): the grammar lives in base/channel.h, shared with the hub.
#include "base/channel.h"

namespace herald::proto {

using base::channel_namespace;
using base::is_channel_char;
using base::valid_channel;

}  // namespace herald::proto
