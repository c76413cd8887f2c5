#pragma once
// The hub's view of a session (WebSocket, SSE, poll): something that lives on one loop and
// receives the publications of the channels it subscribed to.
#include <string_view>

#include "hub/publication.h"

namespace herald::hub {

class Subscriber {
 public:
  /// A live publication of a channel this subscriber is subscribed to, in offset order, never
  /// one it already got (the hub dedupes by offset). Called on the subscriber's loop, never
  /// before its subscribe callback has run. It may call Hub::unsubscribe / unsubscribe_all
  /// (e.g. to evict itself as a slow consumer); the hub copes.
  virtual void deliver(const Delivery& d) = 0;
  /// Presence: the client id to report (may be empty).
  virtual std::string_view client_id() const { return {}; }

 protected:
  ~Subscriber() = default;
};

}  // namespace herald::hub
