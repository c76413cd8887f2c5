#include "proto/json_raw.h"

namespace herald::proto {

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool RawFields::open() {
  skip_ws();
  if (pos_ >= t_.size() || t_[pos_] != '{') return false;
  ++pos_;
  return true;
}

bool RawFields::open_array() {
  skip_ws();
  if (pos_ >= t_.size() || t_[pos_] != '[') return false;
  ++pos_;
  return true;
}

void RawFields::skip_separator() {
  skip_ws();
  if (pos_ < t_.size() && t_[pos_] == ',') {
    ++pos_;
    skip_ws();
  }
}

bool RawFields::next_element(std::string_view* raw) {
  skip_separator();
  size_t start = pos_;
  if (!skip_value()) return false;
  *raw = t_.substr(start, pos_ - start);
  return true;
}

bool RawFields::next(std::string_view* raw) {
  skip_separator();
  if (!skip_string()) return false;  // the key
  skip_ws();
  if (pos_ >= t_.size() || t_[pos_] != ':') return false;
  ++pos_;
  skip_ws();
  size_t start = pos_;
  if (!skip_value()) return false;
  *raw = t_.substr(start, pos_ - start);
  return true;
}

void RawFields::skip_ws() {
  while (pos_ < t_.size() && is_ws(t_[pos_])) ++pos_;
}

bool RawFields::skip_string() {
  if (pos_ >= t_.size() || t_[pos_] != '"') return false;
  ++pos_;
  while (pos_ < t_.size()) {
    char c = t_[pos_++];
    if (c == '\\') {
      ++pos_;
    } else if (c == '"') {
      return true;
    }
  }
  return false;
}

bool RawFields::skip_value() {
  if (pos_ >= t_.size()) return false;
  char c = t_[pos_];
  if (c == '"') return skip_string();
  if (c == '{' || c == '[') {
    size_t depth = 0;
    while (pos_ < t_.size()) {
      char d = t_[pos_];
      if (d == '"') {
        if (!skip_string()) return false;
        continue;
      }
      ++pos_;
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }
  size_t start = pos_;
  while (pos_ < t_.size()) {
    char d = t_[pos_];
    if (is_ws(d) || d == ',' || d == '}' || d == ']') break;
    ++pos_;
  }
  return pos_ > start;
}

}  // namespace herald::proto
