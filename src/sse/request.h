#pragma once
// What GET /sse and GET /poll share before they touch the hub: reading the channel list and the
// resume cursor from a request (parsed here, once) and checking them against the settings, the
// long-poll wait, and the CORS answer. Pure: no I/O, no hub, so every rule is unit-tested.
// Whether the client may subscribe is the access layer's decision (access::Gate).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/channel.h"
#include "base/settings.h"
#include "http_codec/query.h"

namespace herald::sse {

/// An HTTP error to answer instead of serving the request.
struct RequestError {
  int status = 0;
  std::string message;
};

/// The channels of a request and where each one resumes.
struct ChannelRequest {
  /// Valid channel names, duplicates removed, in the order of the query.
  std::vector<std::string> channels;
  /// since[i] is channel i's cursor to resume after, or nullopt: from now.
  std::vector<std::optional<base::Cursor>> since;
  /// True when the request carried a cursor at all (Last-Event-ID or ?since=).
  bool has_cursor = false;
};

/// Reads `channel=` (repeated), checks names and count (settings.poll_max_channels, and never
/// more than proto::kMaxMultiCursorChannels, so every stream's cursor can be decoded), then decodes
/// `cursor_text` (empty: none) for those channels with proto::decode_any_cursor: the plain
/// "epoch:offset" form needs exactly one channel; the "m1." form may name other channels, which are
/// ignored. A well-formed cursor from another epoch or past the stream's end is accepted here (the
/// hub answers it with recovered=false). Errors: 400 (no channel, bad name, too many channels,
/// malformed cursor).
bool parse_channel_request(const http::QueryParams& query, std::string_view cursor_text,
                           const base::Settings& settings, ChannelRequest* out, RequestError* err);

/// The resume cursor of an SSE request: the Last-Event-ID header wins over ?since= (a browser
/// reconnects with the original URL plus that header); an empty header counts as absent.
std::string_view choose_cursor(std::string_view last_event_id, bool has_last_event_id,
                               std::string_view since_param);

/// Parses the long-poll `wait` parameter: seconds as a decimal number with at most three
/// fraction digits ("0", "25", "0.5"). Returns milliseconds capped at `max_sec` seconds, or
/// nullopt for anything else (sign, exponent, empty, garbage) so the caller answers 400.
std::optional<uint64_t> parse_wait_ms(std::string_view text, uint32_t max_sec);

/// The Access-Control-Allow-Origin value for a request with `origin` (empty: no Origin
/// header): "*" when `allowed` is empty (any origin); the origin itself when it is listed;
/// empty (send no header, the browser blocks the read) otherwise.
std::string_view cors_allow_origin(std::string_view origin,
                                   const std::vector<std::string>& allowed);

}  // namespace herald::sse
