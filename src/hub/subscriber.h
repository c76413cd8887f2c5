#pragma once
// The hub's view of a session (WebSocket, SSE, poll): something that lives on one loop and
// receives the publications of the channels it subscribed to.
#include <string>
#include <string_view>

#include "hub/channel.h"
#include "hub/ptr_list.h"
#include "hub/publication.h"

namespace herald::hub {

/// Who a subscriber is, for presence: its client id, user and the presence info (a JSON
/// object, or "") of its identity. The views are valid while the subscriber lives.
struct PresenceInfo {
  std::string client;  // "" : not present (e.g. a long-poll, which lasts one request)
  std::string_view user;
  std::string_view info;
};

class Subscriber {
 public:
  /// A live publication of a channel this subscriber is subscribed to, in offset order, never
  /// one it already got (the hub dedupes by offset). Called on the subscriber's loop, never
  /// before its subscribe callback has run. It may call Hub::unsubscribe / unsubscribe_all
  /// (e.g. to evict itself as a slow consumer); the hub copes.
  virtual void deliver(const Delivery& d) = 0;
  /// Presence: who to report (an empty client id: not present).
  virtual PresenceInfo presence() const { return {}; }
  /// The channel's stream was reset (LiveSink::on_stream_reset): what this subscriber has
  /// cannot be continued without a gap, and the publications after `now` follow (with
  /// `now.epoch`). A transport tells its client to reload (the client's old cursor would be
  /// answered `recovered: false` on its next subscribe). Default: nothing; the new epoch
  /// shows in the cursors of the next publications.
  virtual void on_stream_reset(std::string_view channel, const Cursor& now) {}

 protected:
  ~Subscriber() = default;

 private:
  friend class Hub;
  // The hub's record of this subscriber's channels on its loop (Hub::LocalChannel pointers,
  // pending subscriptions included), so that unsubscribe_all is O(its channels). Kept here
  // rather than in a map from subscriber to channels: that cost a 32-byte node and a bucket
  // per subscriber.
  PtrList<void> hub_channels_;
};

}  // namespace herald::hub
