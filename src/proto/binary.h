#pragma once
// Binary payloads (docs/protocol.md, "Binary payloads"): a publication's data is JSON text or
// bytes. This file holds the pure pieces that carry bytes:
//
//  - base64 (RFC 4648 section 4: the standard alphabet, with padding, no line breaks) for the
//    JSON transports and the JSON publish forms, where bytes travel as "b64":"<base64>";
//  - the WebSocket binary frame, in both directions: a JSON object, one NUL byte, then the raw
//    bytes. NUL cannot occur unescaped in JSON text, so the first NUL ends the object
//    whatever the bytes after it hold:
//
//        client: {"id":7,"op":"publish","channel":"c"}\0<bytes>
//        server: {"channel":"c","offset":42}\0<bytes>
//
//  - the size rule: a binary payload is at most websocket.max_message bytes (as JSON data is)
//    and its base64 push must fit limits.max_output_bytes, so that every transport can carry
//    what a publish accepted; anything larger is refused at publish time (413), never dropped
//    later on one transport.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/base64.h"
#include "base/settings.h"
#include "proto/errors.h"
#include "proto/json.h"

namespace herald::proto {

/// The byte between the JSON object and the payload of a binary frame.
inline constexpr char kBinarySeparator = '\0';

/// Bytes a base64 push adds to the base64 text at most: {"channel":NAME,"offset":N,"b64":""}
/// with a 255-byte name and a 20-digit offset, plus an SSE event's `data: ` and `id: E:N`
/// lines (an epoch is at most 16 bytes). Rounded up.
inline constexpr size_t kBinaryPushOverhead = 512;

/// Length of the base64 text of `n` bytes (padded).
constexpr size_t base64_size(size_t n) {
  return base::base64_encoded_size(n, base::Base64Form::standard);
}

/// Appends the padded base64 of `bytes`.
inline void append_base64(std::string& out, std::string_view bytes) {
  base::append_base64(out, bytes, base::Base64Form::standard);
}

/// Decodes padded standard base64 (`text.size()` a multiple of 4, '=' only as the last one or
/// two characters, unused bits zero: one text per byte string) and appends the bytes to `*out`.
/// Returns false, leaving `*out` unchanged, on anything else (whitespace included).
inline bool decode_base64(std::string_view text, std::string* out) {
  return base::decode_base64(text, out, base::Base64Form::standard);
}

/// Whether a binary payload of `bytes` may be published under `s` (the size rule above).
bool binary_fits(size_t bytes, const base::Settings& s);

/// Parses a client's binary frame: the command object before the first NUL (parse_command, so
/// the same fields and errors), then the bytes after it, which become the command's data with
/// `binary` set. Only publish carries a payload; its object has neither "data" nor "b64".
/// On error `*err` carries the command's id when the object before the NUL gave one.
bool parse_binary_command(std::string_view frame, Command* out, ProtoError* err);

/// {"channel":"c","offset":N}\0<bytes>: the payload of a server binary frame (a binary push).
void encode_binary_push(std::string& out, std::string_view channel, uint64_t offset,
                        std::string_view bytes);

/// {"channel":"c","offset":N,"b64":"<base64>"}: a binary push on the JSON transports.
void encode_push_b64(std::string& out, std::string_view channel, uint64_t offset,
                     std::string_view bytes);

}  // namespace herald::proto
