#pragma once
// Byte-class folding: the OR of a 256-entry class table over every byte of a string, for the
// checks that run on every byte of every request (channel names, header values, JSON strings
// to escape). Callers build their table with constexpr code and read the folded classes.
#include <array>
#include <cstdint>
#include <string_view>

namespace herald::base {

using ByteClassTable = std::array<uint8_t, 256>;

/// The OR of table[b] over every byte b of `s`; 0 for an empty string. Four independent
/// accumulators and no branch per byte: about 2.5 instructions per byte.
uint8_t fold_byte_classes(std::string_view s, const ByteClassTable& table);

}  // namespace herald::base
