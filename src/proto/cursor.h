#pragma once
// Cursors (docs/protocol.md). A cursor names the last message a subscriber has seen.
//
// Single channel: "epoch:offset", e.g. "Xk3p9:42". The epoch is 1-16 chars of [A-Za-z0-9]
// (a stream's random generation tag); the offset is a decimal uint64 without sign and without
// leading zeros ("0" itself is fine). An empty stream's cursor is "E:0".
//
// Several channels (SSE `id:`, multi-channel poll `cursor`): an opaque, URL-safe string
//
//     "m1." base64url-without-padding(payload)
//     payload = entry *("," entry)           (empty payload = no channels)
//     entry   = channel " " [epoch] ":" offset
//
// where an empty epoch means "the same epoch as the previous entry" (streams of one engine
// often share an epoch, so this keeps the common case short). A space is not a channel
// character and a cursor has no ',', so the payload reads unambiguously from left to right
// (a channel ends at its space, a cursor at the next ',') even though channel names may
// contain ',' (user-limited channels, "dm:#alice,bob"). The "m1." prefix can never be mistaken for
// the single form (which always has a ':') and versions the format. The string uses only
// [A-Za-z0-9_-] and '.', so it travels unescaped in a query string and in Last-Event-ID.
// Decoding is strict and bounded: at most kMaxMultiCursorChannels entries, at most
// kMaxMultiCursorBytes of input, no duplicate channel, every channel, epoch and offset valid,
// canonical base64 (no stray trailing bits); anything else is Errc::bad_cursor.
// Note: the HTTP limits (request line, header bytes) may cut a cursor of many long channel
// names before this codec sees it; 64 channels of 255 bytes encode to about 25 KB.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/channel.h"
#include "base/error.h"

namespace herald::proto {

// The single-channel grammar is base's (shared with the hub).
using base::append_cursor;
using base::Cursor;
using base::kMaxEpochLength;
using base::parse_offset;
using base::valid_epoch;

inline constexpr size_t kMaxMultiCursorChannels = 64;
inline constexpr size_t kMaxMultiCursorBytes = 32 * 1024;

/// One channel's cursor inside a multi-channel cursor.
using ChannelCursor = std::pair<std::string, Cursor>;

/// "epoch:offset".
std::string format_cursor(const Cursor& c);

/// Parses "epoch:offset"; Errc::bad_cursor on anything else (empty, no colon, bad epoch,
/// sign, leading zero, overflow, trailing bytes).
base::Result<Cursor> parse_cursor(std::string_view text);

/// Encodes several channels' cursors into the opaque "m1." form above. The caller keeps the
/// list within kMaxMultiCursorChannels, with valid names and epochs and no duplicate channel;
/// otherwise the decoder will refuse what this produced.
std::string encode_multi_cursor(const std::vector<ChannelCursor>& cursors);

/// Decodes the "m1." form; Errc::bad_cursor on anything malformed or past the limits. Never
/// reads outside `text`. The order of entries is the order they were encoded in.
base::Result<std::vector<ChannelCursor>> decode_multi_cursor(
    std::string_view text, size_t max_channels = kMaxMultiCursorChannels,
    size_t max_bytes = kMaxMultiCursorBytes);

/// Decodes what a client echoed back for a request over `channels`: the plain "epoch:offset"
/// form (accepted only when `channels` has exactly one element, and then names it) or the "m1."
/// form. From the multi form only entries for channels in `channels` are kept (a client may
/// resume with a different channel list); a requested channel absent from the result has no
/// cursor and starts from now. Errc::bad_cursor when the text is malformed.
base::Result<std::vector<ChannelCursor>> decode_any_cursor(std::string_view text,
                                                           std::span<const std::string> channels);

}  // namespace herald::proto
