#pragma once
// Server-Sent Events wire encoding (HTML Living Standard, "Server-sent events", §9.2).
// Pure appends into a std::string; the SSE session owns the connection.
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/cursor.h"

namespace herald::proto {

/// Appends one event: "id: ID\n" (omitted when `id` is empty), "event: EVENT\n" (omitted when
/// empty), one "data: LINE\n" per line of `data` (lines split on "\r\n", "\r" and "\n", so the
/// browser's MessageEvent.data is `data` with its line ends turned into "\n"), then "\n".
/// CR, LF (and NUL in the id, which makes browsers ignore the id) cannot be carried in the id
/// or event name and are dropped from them.
void append_sse_event(std::string& out, std::string_view id, std::string_view event,
                      std::string_view data);

/// Appends a comment ": TEXT\n\n" (one ": " line per line of `text`); the heartbeat is
/// append_sse_comment(out, "ping"). Browsers ignore comments; proxies see traffic.
void append_sse_comment(std::string& out, std::string_view text);

/// Appends "retry: MS\n\n": the browser's reconnection delay.
void append_sse_retry(std::string& out, uint32_t ms);

/// Appends the recovery event (docs/protocol.md) for a channel whose cursor could not be honoured:
///   event: recovery
///   data: {"channel":"c","recovered":false,"cursor":"E:N"}
/// It has no id, so the browser's Last-Event-ID stays the last publication's cursor.
void append_sse_recovery_event(std::string& out, std::string_view channel, const Cursor& current);

}  // namespace herald::proto
