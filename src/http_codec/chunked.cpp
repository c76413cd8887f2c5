#include "http_codec/chunked.h"

#include <algorithm>

#include "http_codec/syntax.h"

namespace herald::http {

using syntax::line_at;

ChunkedDecoder::Status ChunkedDecoder::decode(std::string_view in, size_t* pos, std::string* sink) {
  // On the first call scan_ is 0 and *pos the start of the body; lines are searched from there.
  scan_ = std::max(scan_, *pos);
  while (true) {
    bool progressed = false;
    switch (phase_) {
      case Phase::size_line:
        progressed = parse_size_line(in, pos);
        break;
      case Phase::data:
        progressed = parse_data(in, pos, sink);
        break;
      case Phase::data_crlf:
        progressed = parse_data_crlf(in, pos);
        break;
      case Phase::trailers:
        progressed = parse_trailers(in, pos);
        break;
      case Phase::done:
        return Status::done;
      case Phase::failed:
        return Status::error;
    }
    if (!progressed) return Status::need_more;
  }
}

bool ChunkedDecoder::fail(ChunkedError error, const char* reason) {
  phase_ = Phase::failed;
  error_ = error;
  reason_ = reason;
  return true;
}

bool ChunkedDecoder::line_end_ok(std::string_view in, size_t pos, size_t lf) const {
  return options_.allow_bare_lf || (lf > pos && in[lf - 1] == '\r');
}

bool ChunkedDecoder::parse_size_line(std::string_view in, size_t* pos) {
  size_t lf = syntax::find_lf(in, scan_);
  if (lf == std::string_view::npos) {
    scan_ = in.size();
    // Refused before its end arrives, so a peer cannot make us buffer an endless line.
    if (in.size() - *pos > options_.max_chunk_line) {
      return fail(ChunkedError::malformed, "chunk size line too long");
    }
    return false;
  }
  if (lf - *pos > options_.max_chunk_line) {
    return fail(ChunkedError::malformed, "chunk size line too long");
  }
  if (!line_end_ok(in, *pos, lf)) return fail(ChunkedError::malformed, "bare LF in chunk size");
  std::string_view line = line_at(in, *pos, lf);
  *pos = scan_ = lf + 1;

  uint64_t size = 0;
  if (const char* why = syntax::parse_chunk_size_line(line, &size)) {
    return fail(ChunkedError::malformed, why);
  }
  if (size == 0) {
    phase_ = Phase::trailers;
    return true;
  }
  // Refused at the size line, before any byte of the chunk is buffered. decoded_ never
  // exceeds max_body, so the subtraction cannot wrap.
  if (size > options_.max_body - decoded_) {
    return fail(ChunkedError::body_too_large, "body too large");
  }
  chunk_left_ = size;
  phase_ = Phase::data;
  return true;
}

bool ChunkedDecoder::parse_data(std::string_view in, size_t* pos, std::string* sink) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(in.size() - *pos, chunk_left_));
  if (n == 0) return false;
  // Appended as it arrives, so each byte is copied once whatever the read pattern.
  sink->append(in.data() + *pos, n);
  *pos += n;
  chunk_left_ -= n;
  decoded_ += n;
  if (chunk_left_ == 0) phase_ = Phase::data_crlf;
  return true;
}

bool ChunkedDecoder::parse_data_crlf(std::string_view in, size_t* pos) {
  size_t p = *pos;
  if (p >= in.size()) return false;
  if (in[p] == '\n' && options_.allow_bare_lf) {
    p += 1;
  } else {
    if (in[p] != '\r') return fail(ChunkedError::malformed, "missing CRLF after chunk");
    if (p + 1 >= in.size()) return false;
    if (in[p + 1] != '\n') return fail(ChunkedError::malformed, "missing CRLF after chunk");
    p += 2;
  }
  *pos = scan_ = p;
  phase_ = Phase::size_line;
  return true;
}

bool ChunkedDecoder::parse_trailers(std::string_view in, size_t* pos) {
  while (true) {
    // Counted as complete lines plus the current one, not as an offset, so the limit holds
    // across rebase() in a streamed body.
    size_t lf = syntax::find_lf(in, scan_);
    if (lf == std::string_view::npos) {
      scan_ = in.size();
      if (trailer_bytes_ + (in.size() - *pos) > options_.max_trailer_bytes) {
        return fail(ChunkedError::trailers_too_large, "trailers too large");
      }
      return false;
    }
    size_t line_bytes = lf + 1 - *pos;
    if (trailer_bytes_ + line_bytes > options_.max_trailer_bytes) {
      return fail(ChunkedError::trailers_too_large, "trailers too large");
    }
    if (!line_end_ok(in, *pos, lf)) return fail(ChunkedError::malformed, "bare LF in trailers");
    std::string_view line = line_at(in, *pos, lf);
    trailer_bytes_ += line_bytes;
    *pos = scan_ = lf + 1;
    if (line.empty()) {
      phase_ = Phase::done;
      return true;
    }
    size_t name_len = 0, value_off = 0, value_len = 0;
    if (const char* why = syntax::split_field_line(line, &name_len, &value_off, &value_len)) {
      return fail(ChunkedError::malformed, why);
    }
  }
}

}  // namespace herald::http
