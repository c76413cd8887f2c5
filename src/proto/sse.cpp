#include "proto/sse.h"

#include "proto/json.h"

namespace herald::proto {
namespace {

// Appends `field` (with its ": ") once per line of `text`, splitting on CRLF, CR and LF as
// the standard's parser does.
void append_lines(std::string& out, std::string_view field, std::string_view text) {
  size_t start = 0;
  while (true) {
    size_t end = text.find_first_of("\r\n", start);
    out.append(field);
    out.append(text.substr(start, end == std::string_view::npos ? end : end - start));
    out.push_back('\n');
    if (end == std::string_view::npos) return;
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
  }
}

void append_single_line(std::string& out, std::string_view field, std::string_view value,
                        bool drop_nul) {
  out.append(field);
  for (char c : value) {
    if (c == '\r' || c == '\n' || (drop_nul && c == '\0')) continue;
    out.push_back(c);
  }
  out.push_back('\n');
}

}  // namespace

void append_sse_event(std::string& out, std::string_view id, std::string_view event,
                      std::string_view data) {
  if (!id.empty()) append_single_line(out, "id: ", id, true);
  if (!event.empty()) append_single_line(out, "event: ", event, false);
  append_lines(out, "data: ", data);
  out.push_back('\n');
}

void append_sse_comment(std::string& out, std::string_view text) {
  append_lines(out, ": ", text);
  out.push_back('\n');
}

void append_sse_retry(std::string& out, uint32_t ms) {
  out.append("retry: ");
  append_uint(out, ms);
  out.append("\n\n");
}

void append_sse_recovery_event(std::string& out, std::string_view channel, const Cursor& current) {
  std::string data = "{\"channel\":";
  append_json_string(data, channel);
  data.append(",\"recovered\":false,\"cursor\":");
  append_json_string(data, format_cursor(current));
  data.push_back('}');
  append_sse_event(out, {}, "recovery", data);
}

}  // namespace herald::proto
