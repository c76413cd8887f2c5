#pragma once
// Channel names and cursors (docs/protocol.md): the grammar lives in base/channel.h, shared with
// the codecs; the hub adds the hash that decides which loop owns a channel.
#include <cstdint>
#include <string_view>

#include "base/channel.h"

namespace herald::hub {

using base::channel_namespace;
using base::Cursor;
using base::kMaxEpochLength;
using base::valid_channel;

/// A stable 64-bit FNV-1a hash (std::hash may differ between builds; ownership must not).
uint64_t fnv1a(std::string_view bytes);

}  // namespace herald::hub
