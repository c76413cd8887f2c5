#pragma once
// JSON string literals, shared by the protocol encoders (proto/json.h) and the structured log
// (base/log.h): text that came from clients must never break a JSON line, whatever its bytes.
#include <string>
#include <string_view>

namespace herald::base {

/// Appends `s` as a JSON string literal: quotes added, '"' and '\' escaped, control characters
/// as \u00XX, and any byte sequence that is not valid UTF-8 replaced by U+FFFD so the output is
/// always valid JSON.
void append_json_string(std::string& out, std::string_view s);

}  // namespace herald::base
