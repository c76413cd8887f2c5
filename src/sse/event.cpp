#include "sse/event.h"

#include <cassert>
#include <cstring>

#include "proto/binary.h"
#include "proto/json.h"
#include "proto/sse.h"

namespace herald::sse {

namespace {

// The push of a message: "data" for JSON, "b64" for bytes (JSON text cannot carry them).
void encode_message_push(std::string& out, const hub::Publication& pub) {
  if (pub.binary) {
    out.reserve(pub.channel.size() + proto::base64_size(pub.data.size()) + 48);
    proto::encode_push_b64(out, pub.channel, pub.offset, pub.data.view());
    return;
  }
  out.reserve(pub.channel.size() + pub.data.size() + 48);
  proto::encode_push(out, pub.channel, pub.offset, pub.data.view());
}

}  // namespace

base::SharedBuffer build_json_push(const hub::Publication& pub) {
  std::string out;
  encode_message_push(out, pub);
  return base::SharedBuffer::copy_of(out);
}

base::SharedBuffer build_sse_event(const hub::Publication& pub) {
  if (pub.is_event()) {
    // A presence event moves no cursor: data only, no id (the stream's last id stays valid).
    std::string push;
    if (pub.kind == hub::PubKind::join)
      proto::encode_join_push(push, pub.channel, pub.data.view());
    else
      proto::encode_leave_push(push, pub.channel, pub.data.view());
    std::string out;
    proto::append_sse_event(out, {}, {}, push);
    return base::SharedBuffer::copy_of(out);
  }
  std::string push;
  encode_message_push(push, pub);
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

static_assert(proto::kMaxMultiCursorChannels <= 64, "StreamCursor::known_ has one bit each");

StreamCursor::StreamCursor(std::vector<std::string> channels)
    : size_(static_cast<uint32_t>(channels.size())) {
  assert(channels.size() <= proto::kMaxMultiCursorChannels);
  if (size_ == 1) {
    one_.first = std::move(channels[0]);
    return;
  }
  many_ = std::make_unique<std::vector<proto::ChannelCursor>>();
  many_->reserve(channels.size());
  for (std::string& ch : channels) many_->emplace_back(std::move(ch), proto::Cursor{});
}

size_t StreamCursor::index_of(std::string_view channel) const {
  for (size_t i = 0; i < size_; ++i) {
    if (entry(i).first == channel) return i;
  }
  return size_;
}

void StreamCursor::set(size_t i, std::string_view epoch, uint64_t offset) {
  proto::Cursor& c = entry(i).second;
  if (c.epoch != epoch) c.epoch.assign(epoch);
  c.offset = offset;
  known_ |= uint64_t(1) << i;
}

std::string StreamCursor::str() const {
  if (size_ == 1) return known(0) ? proto::format_cursor(one_.second) : "";
  const uint64_t all = size_ == 64 ? ~uint64_t(0) : (uint64_t(1) << size_) - 1;
  if (known_ == all) return proto::encode_multi_cursor(*many_);
  std::vector<proto::ChannelCursor> some;
  for (size_t i = 0; i < size_; ++i) {
    if (known(i)) some.push_back((*many_)[i]);
  }
  return proto::encode_multi_cursor(some);
}

}  // namespace herald::sse
