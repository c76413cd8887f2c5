#include "sse/event.h"

#include <cstring>

#include "proto/json.h"
#include "proto/sse.h"

namespace herald::sse {

base::SharedBuffer build_json_push(const hub::Publication& pub) {
  std::string out;
  out.reserve(pub.channel.size() + pub.data.size() + 48);
  proto::encode_push(out, pub.channel, pub.offset, pub.data.view());
  return base::SharedBuffer::copy_of(out);
}

base::SharedBuffer build_sse_event(const hub::Publication& pub) {
  std::string push;
  push.reserve(pub.channel.size() + pub.data.size() + 48);
  proto::encode_push(push, pub.channel, pub.offset, pub.data.view());
  std::string out;
  out.reserve(push.size() + pub.epoch.size() + 40);
  // append_sse_event writes "data: ...\n\n"; drop the blank line and put the id before it.
  proto::append_sse_event(out, {}, {}, push);
  out.pop_back();
  out.append("id: ");
  proto::append_cursor(out, pub.epoch, pub.offset);
  out.append("\n\n");
  return base::SharedBuffer::copy_of(out);
}

size_t sse_data_part_size(std::string_view event) {
  size_t at = event.rfind("\nid: ");
  return at == std::string_view::npos ? event.size() : at + 1;
}

StreamCursor::StreamCursor(std::vector<std::string> channels) {
  entries_.reserve(channels.size());
  for (std::string& ch : channels) entries_.emplace_back(std::move(ch), proto::Cursor{});
  known_.assign(entries_.size(), false);
}

size_t StreamCursor::index_of(std::string_view channel) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].first == channel) return i;
  }
  return entries_.size();
}

void StreamCursor::set(size_t i, std::string_view epoch, uint64_t offset) {
  proto::Cursor& c = entries_[i].second;
  if (c.epoch != epoch) c.epoch.assign(epoch);
  c.offset = offset;
  known_[i] = true;
}

std::string StreamCursor::str() const {
  if (entries_.size() == 1) return known_[0] ? proto::format_cursor(entries_[0].second) : "";
  bool all = true;
  for (bool k : known_) all = all && k;
  if (all) return proto::encode_multi_cursor(entries_);
  std::vector<proto::ChannelCursor> some;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (known_[i]) some.push_back(entries_[i]);
  }
  return proto::encode_multi_cursor(some);
}

}  // namespace herald::sse
