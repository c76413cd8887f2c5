#include "sse/request.h"

#include <algorithm>

#include "proto/channel.h"
#include "proto/cursor.h"

namespace herald::sse {

namespace {
bool fail(RequestError* err, int status, std::string message) {
  err->status = status;
  err->message = std::move(message);
  return false;
}
}  // namespace

bool parse_channel_request(const http::QueryParams& query, std::string_view cursor_text,
                           const base::Settings& settings, ChannelRequest* out, RequestError* err) {
  out->channels.clear();
  out->since.clear();
  out->has_cursor = false;
  // A stream's cursor must fit the multi-cursor codec, whatever the config allows.
  const size_t max_channels = std::min(settings.poll_max_channels, proto::kMaxMultiCursorChannels);
  for (std::string_view ch : query.all("channel")) {
    if (!proto::valid_channel(ch)) return fail(err, 400, "bad channel name");
    if (std::find(out->channels.begin(), out->channels.end(), ch) != out->channels.end())
      continue;  // the hub holds one subscription per channel; a repeat adds nothing
    // Checked while collecting so a huge channel list is refused before it is all copied.
    if (out->channels.size() >= max_channels) return fail(err, 400, "too many channels");
    out->channels.emplace_back(ch);
  }
  if (out->channels.empty()) return fail(err, 400, "missing channel");
  out->since.assign(out->channels.size(), std::nullopt);
  if (cursor_text.empty()) return true;
  auto decoded = proto::decode_any_cursor(cursor_text, out->channels);
  if (!decoded) return fail(err, 400, "bad cursor");
  out->has_cursor = true;
  for (const proto::ChannelCursor& cc : decoded.value()) {
    auto it = std::find(out->channels.begin(), out->channels.end(), cc.first);
    if (it == out->channels.end()) continue;  // decode_any_cursor keeps only ours; be sure
    out->since[size_t(it - out->channels.begin())] = cc.second;
  }
  return true;
}

std::string_view choose_cursor(std::string_view last_event_id, bool has_last_event_id,
                               std::string_view since_param) {
  if (has_last_event_id && !last_event_id.empty()) return last_event_id;
  return since_param;
}

std::optional<uint64_t> parse_wait_ms(std::string_view text, uint32_t max_sec) {
  const uint64_t cap_ms = uint64_t(max_sec) * 1000;
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 3) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;  // "5."
  uint64_t ms = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    // Saturate instead of overflowing: anything past the cap is the cap.
    ms = ms > cap_ms ? ms : ms * 10 + uint64_t(c - '0') * 1000;
  }
  uint64_t scale = 100;
  for (char c : frac) {
    if (c < '0' || c > '9') return std::nullopt;
    ms += uint64_t(c - '0') * scale;
    scale /= 10;
  }
  return std::min(ms, cap_ms);
}

std::string_view cors_allow_origin(std::string_view origin,
                                   const std::vector<std::string>& allowed) {
  if (allowed.empty()) return "*";
  if (origin.empty()) return {};
  for (const std::string& a : allowed) {
    if (a == "*") return "*";
    if (a == origin) return origin;
  }
  return {};
}

}  // namespace herald::sse
