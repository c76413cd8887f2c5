#include "proto/sse_parser.h"

#include <algorithm>

namespace herald::proto {

void SseParser::reset_stream() {
  partial_.clear();
  data_.clear();
  type_.clear();
  skip_lf_ = false;
  at_start_ = true;
  failed_ = false;
}

bool SseParser::feed(std::string_view bytes, SseSink& sink) {
  if (failed_) return false;
  if (skip_lf_ && !bytes.empty()) {
    if (bytes.front() == '\n') bytes.remove_prefix(1);
    skip_lf_ = false;
  }
  if (at_start_) {
    // The BOM may itself arrive split: keep what could still be its start.
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    std::string probe = partial_;
    probe.append(bytes.substr(0, kBom.size()));
    size_t n = std::min(probe.size(), kBom.size());
    if (probe.compare(0, n, kBom.substr(0, n)) == 0 && probe.size() < kBom.size()) {
      partial_ = probe;
      return true;
    }
    at_start_ = false;
    if (probe.compare(0, kBom.size(), kBom) == 0) {
      size_t from_bytes = kBom.size() - partial_.size();
      partial_.clear();
      bytes.remove_prefix(from_bytes);
    }
  }
  while (!bytes.empty()) {
    // The next line end: CR or LF, whichever comes first.
    size_t end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (partial_.size() + bytes.size() > max_event_bytes_) {
        failed_ = true;
        return false;
      }
      partial_.append(bytes);
      return true;
    }
    bool cr = bytes[end] == '\r';
    // The line limit holds however the stream was split: a long line that arrives whole is
    // refused like one that arrives in pieces (found by the fuzzer, tests/fuzz/sse_parser_fuzz).
    if (partial_.size() + end > max_event_bytes_) {
      failed_ = true;
      return false;
    }
    if (partial_.empty()) {
      process_line(bytes.substr(0, end), sink);
    } else {
      partial_.append(bytes.substr(0, end));
      process_line(partial_, sink);
      partial_.clear();
    }
    if (failed_) return false;
    bytes.remove_prefix(end + 1);
    if (cr) {
      if (bytes.empty()) {
        skip_lf_ = true;
      } else if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
      }
    }
  }
  return true;
}

void SseParser::process_line(std::string_view line, SseSink& sink) {
  if (line.empty()) return dispatch(sink);
  if (line.front() == ':') {
    line.remove_prefix(1);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    sink.on_comment(line);
    return;
  }
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_event_bytes_) {
      failed_ = true;
      return;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_id_.assign(value);
      sink.on_id(last_id_);
    }
  } else if (field == "retry") {
    if (value.empty()) return;
    uint64_t ms = 0;
    for (char c : value) {
      if (c < '0' || c > '9' || ms > 0xFFFFFFFFu / 10) return;
      ms = ms * 10 + static_cast<uint64_t>(c - '0');
    }
    if (ms > 0xFFFFFFFFu) return;
    retry_ms_ = static_cast<uint32_t>(ms);
    sink.on_retry(retry_ms_);
  }
}

void SseParser::dispatch(SseSink& sink) {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the last "\n"
  SseEvent e;
  e.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
  e.data = data_;
  e.id = last_id_;
  sink.on_event(e);
  data_.clear();
  type_.clear();
}

}  // namespace herald::proto
