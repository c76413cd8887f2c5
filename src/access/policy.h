#pragma once
// The rules: may a client subscribe to, publish on, read the history or the presence of a
// channel? Decided from the channel's namespace options and the client's identity, and
// nothing else (no I/O), so every rule is unit-tested here and every transport applies the
// same ones through access::Gate.
//
//   subscribe  the API key; a user listed in a user-limited channel ("dm:#alice,bob": alice
//              and bob, nobody anonymous); a subscribe grant that matches; any identity where
//              the namespace says `authenticated`; anyone where it says `anonymous` (from
//              loopback, or from anywhere with `anonymous_remote`).
//   publish    the API key; a publish grant that matches; whoever may subscribe where the
//              namespace says `publish`. Over UDP datagrams only where the namespace also
//              says `udp_publish`.
//   history    the API key, or whoever may subscribe where the namespace says `history`;
//              then not_available when the namespace keeps none.
//   presence   the API key (always); whoever may subscribe, unless the namespace says
//              `presence = false` (not_available).
#include <cstdint>
#include <string_view>

#include "access/identity.h"
#include "access/outcome.h"
#include "base/settings.h"

namespace herald::access {

enum class Action : uint8_t { subscribe, publish, history, presence };

/// What the rules know about a requester.
struct Requester {
  const Identity* identity = nullptr;  // nullptr: anonymous
  bool loopback = false;               // the real client address is on loopback
  bool udp = false;                    // asks over UDP datagrams (publish needs udp_publish)
};

/// ok, forbidden or not_available for `a` on `channel` (a valid channel name).
Outcome decide(const base::NamespaceSettings& ns, const Requester& r, Action a,
               std::string_view channel);

/// The user list of a user-limited channel: the text after its first '#', or nullopt-like
/// false when the name has no '#'.
bool user_list(std::string_view channel, std::string_view* users);

/// Whether `user` (non-empty) is one of the ','-separated users after the channel's '#'.
bool lists_user(std::string_view channel, std::string_view user);

}  // namespace herald::access
