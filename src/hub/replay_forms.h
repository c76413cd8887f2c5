#pragma once
// The wire forms of replayed publications, shared by the subscribers of one loop.
//
// A live publication is encoded once per loop (Delivery). A replay is not a fan-out: each
// subscriber that asks for what it missed gets its own answer from the engine, and used to
// encode every replayed publication for itself. In a reconnect storm every client asks for the
// same few messages at once, so the same frames were built thousands of times (with
// permessage-deflate, which browsers always offer, a compression each: ~100k instructions).
// While the table is open, the first subscriber of this loop to need a form of a replayed
// publication builds it and the others copy it (one refcount increment).
//
// The hub opens the table when it hands a subscriber a replay and closes it in the next round
// of deferred work, so it pins nothing for long: subscribers whose answers arrive together
// share, a replay written later (a paced backlog) builds its own, as before.
#include <cstddef>

#include "base/shared_buffer.h"
#include "hub/publication.h"

namespace herald::hub {

class ReplayForms {
 public:
  /// Form `f` of `pub`: the table's copy when this thread's table is open and holds it, else
  /// built by `make` (and kept while the table is open). A publication is known by channel,
  /// epoch and offset, so two engines' copies of one message share too.
  static base::SharedBuffer form(const PubPtr& pub, WireForm f, Delivery::Builder make);
  /// Opens this thread's table. True when it was closed: the caller schedules close() on this
  /// thread, after the work that may share.
  static bool open();
  /// Empties this thread's table (every pinned publication and form) and closes it.
  static void close();
  /// Entries held by this thread's table (tests).
  static size_t size();

  /// Slots in the table: replayed offsets of one channel map to consecutive slots, so a
  /// replay of up to this many messages never evicts its own entries.
  static constexpr size_t kSlots = 64;
};

}  // namespace herald::hub
