#pragma once
// The wire pieces the SSE and poll transports build from publications (docs/protocol.md,
// docs/design.md).
//
// Encode once: a publication's SSE form is one SharedBuffer shared by every stream on the loop,
//
//     data: {"channel":"c","offset":N,"data":...}\n
//     id: E:N\n
//     \n
//
// An event's fields may come in any order, so a single-channel stream sends the whole buffer
// (its id is the channel's plain cursor, the same for every subscriber), and a multi-channel
// stream sends only the `data:` line (a slice of the same buffer, no copy) followed by its own
// "id: m1...\n\n" naming every channel of that stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/shared_buffer.h"
#include "hub/publication.h"
#include "proto/cursor.h"

namespace herald::sse {

/// The JSON push object of `pub` (WireForm::json_push): the same bytes as a WebSocket push; a
/// binary publication carries its bytes as "b64" (base64) instead of "data".
base::SharedBuffer build_json_push(const hub::Publication& pub);

/// The shared SSE form of `pub` (WireForm::sse_event), laid out as above; a presence event
/// (join/leave) is a `data:` line only, without id.
base::SharedBuffer build_sse_event(const hub::Publication& pub);

/// Length of the leading `data:` part of a buffer made by build_sse_event (everything before
/// its "id: " line).
size_t sse_data_part_size(std::string_view event);

/// Where one stream (or one poll) stands in each of its channels. Channels keep the order
/// they were given; a channel's position is unknown until set(). At most
/// proto::kMaxMultiCursorChannels channels (parse_channel_request enforces it).
class StreamCursor {
 public:
  explicit StreamCursor(std::vector<std::string> channels);

  size_t size() const { return size_; }
  /// Channel i's name.
  const std::string& channel(size_t i) const { return entry(i).first; }
  /// Index of `channel`, or size() when it is not one of ours.
  size_t index_of(std::string_view channel) const;

  void set(size_t i, std::string_view epoch, uint64_t offset);
  bool known(size_t i) const { return (known_ >> i) & 1; }
  const proto::Cursor& at(size_t i) const { return entry(i).second; }

  /// The cursor a client echoes back to resume every channel: with one channel its plain
  /// "epoch:offset" ("" while unknown); with several the opaque "m1." form over the channels
  /// whose position is known (an absent channel resumes from now).
  std::string str() const;

 private:
  const proto::ChannelCursor& entry(size_t i) const { return size_ == 1 ? one_ : (*many_)[i]; }
  proto::ChannelCursor& entry(size_t i) { return size_ == 1 ? one_ : (*many_)[i]; }

  // Almost every stream has one channel: it is kept inline (one_), so an idle stream's cursor
  // owns no heap block of its own; several channels live in many_ (one_ unused), behind a
  // pointer that costs a one-channel stream 8 bytes instead of a vector's 24.
  proto::ChannelCursor one_;
  std::unique_ptr<std::vector<proto::ChannelCursor>> many_;
  uint64_t known_ = 0;  // bit i: channel i's position is set
  uint32_t size_ = 0;
};

}  // namespace herald::sse
