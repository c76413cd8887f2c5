#pragma once
// A publication and its per-loop Delivery (docs/design.md, "encode once, fan out by reference").
//
// A Publication is immutable and shared across loops by PubPtr (atomic refcount): the owner
// loop makes it once, keeps it in history and posts the same pointer to every loop with
// subscribers. On each loop, fan-out wraps it in one Delivery on the stack; each wire form
// (WebSocket frame, SSE event, JSON push) is built by the first subscriber that needs it and
// reused by reference by all the others. The hub knows no codec: the builder comes from the
// transport.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "base/block_cache.h"
#include "base/shared_buffer.h"
#include "base/string_hash.h"
#include "hub/function_ref.h"

namespace herald::hub {

/// What is published: the data and whether it is bytes. Implicit from a SharedBuffer of JSON
/// text, the common case, so that JSON call sites read as before.
struct Payload {
  Payload() = default;
  // NOLINTNEXTLINE(google-explicit-constructor)
  Payload(base::SharedBuffer json) : data(std::move(json)) {}
  /// Raw bytes.
  static Payload bytes(base::SharedBuffer b) {
    Payload p(std::move(b));
    p.binary = true;
    return p;
  }

  base::SharedBuffer data;
  bool binary = false;
};

/// What a Publication carries: a message of the channel's stream, or a presence event
/// (someone joined or left) that has no offset and is not kept in history.
enum class PubKind : uint8_t { message, join, leave };

/// A publication's channel name. Its bytes come from the thread's block cache like the
/// publication itself (a name is at most 255 bytes): one malloc and free less per publish.
using ChannelString =
    std::basic_string<char, std::char_traits<char>, base::SmallBlockAllocator<char>>;

struct Publication {
  ChannelString channel;
  std::string epoch;
  uint64_t offset = 0;      // 0 for presence events
  base::SharedBuffer data;  // the raw JSON value published (join/leave: the client's entry),
                            // or the bytes of a binary publication
  uint64_t time_ms = 0;     // owner loop clock at publish (history TTL)
  PubKind kind = PubKind::message;
  /// `data` is bytes, not JSON text: a WebSocket binary frame, `b64` on the JSON transports
  /// (docs/protocol.md, "Binary payloads"). Only messages are ever binary.
  bool binary = false;
  /// Monotonic clock (base::monotonic_ns) when the engine took the publish, on the publishing
  /// loop: where the publish -> deliver latency of /metrics starts. 0: not measured.
  uint64_t received_ns = 0;
  /// base::StringHash of `channel` when its maker had it (the memory engine, which looked the
  /// stream up by it), so each loop's hub finds the channel without hashing the name again.
  /// 0: not given (channel_key() computes it; a name whose hash is 0 is found either way).
  size_t channel_hash = 0;

  bool is_event() const { return kind != PubKind::message; }
  /// The channel as a map key with its hash.
  base::HashedName channel_key() const {
    return {channel, channel_hash ? channel_hash : base::StringHash{}(channel)};
  }
};

using PubPtr = std::shared_ptr<const Publication>;

/// Wire forms a publication is serialised into; one cached buffer per form per Delivery.
enum class WireForm : uint8_t {
  ws_frame,          // WebSocket text frame carrying the JSON push (binary: a binary frame)
  sse_event,         // `id:`-less SSE event body (the session adds its own multi-channel id)
  json_push,         // the bare JSON push object (long/short poll bodies)
  ws_frame_deflate,  // permessage-deflate frame without context takeover
  udp_datagram,      // UDP pub (or announce, when too large) with the session left blank
  count,
};

/// One publication being fanned out on one loop. Lives on the stack of the fan-out; a
/// subscriber that wants to keep a form copies the SharedBuffer (one refcount increment).
class Delivery {
 public:
  using Builder = FunctionRef<base::SharedBuffer(const Publication&)>;

  explicit Delivery(PubPtr pub) : pub_(std::move(pub)) {}
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  const Publication& pub() const { return *pub_; }
  const PubPtr& pub_ptr() const { return pub_; }

  /// The buffer for wire form `f`: built by `make` the first time any subscriber asks for it
  /// during this delivery, the same buffer afterwards (`make` is then not called).
  const base::SharedBuffer& form(WireForm f, Builder make) const;
  /// True when form `f` has been built (for tests and metrics).
  bool has_form(WireForm f) const { return bool(forms_[size_t(f)]); }

 private:
  PubPtr pub_;
  // Mutable: filling the cache does not change what the delivery means.
  mutable std::array<base::SharedBuffer, size_t(WireForm::count)> forms_;
};

}  // namespace herald::hub
