#include "access/policy.h"

#include <gtest/gtest.h>

namespace herald::access {
namespace {

Identity user(std::string name, std::vector<std::string> channels = {},
              std::vector<std::string> publish = {}) {
  Identity id;
  id.source = Source::token;
  id.user = std::move(name);
  id.channels = std::move(channels);
  id.publish = std::move(publish);
  return id;
}

Outcome run(const base::NamespaceSettings& ns, const Identity* id, bool loopback, Action a,
            std::string_view channel) {
  return decide(ns, Requester{id, loopback}, a, channel);
}

TEST(Policy, AnonymousNeedsTheNamespaceAndLoopbackUnlessRemoteIsAllowed) {
  base::NamespaceSettings ns;
  EXPECT_EQ(run(ns, nullptr, true, Action::subscribe, "c"), Outcome::forbidden);
  ns.anonymous = true;
  EXPECT_EQ(run(ns, nullptr, true, Action::subscribe, "c"), Outcome::ok);
  EXPECT_EQ(run(ns, nullptr, false, Action::subscribe, "c"), Outcome::forbidden);
  ns.anonymous_remote = true;
  EXPECT_EQ(run(ns, nullptr, false, Action::subscribe, "c"), Outcome::ok);
  ns.anonymous = false;  // anonymous_remote alone opens nothing
  EXPECT_EQ(run(ns, nullptr, false, Action::subscribe, "c"), Outcome::forbidden);
}

TEST(Policy, GrantsAreExactOrPrefixPatterns) {
  base::NamespaceSettings ns;
  Identity id = user("u", {"chat:room1", "news:*"});
  EXPECT_EQ(run(ns, &id, false, Action::subscribe, "chat:room1"), Outcome::ok);
  EXPECT_EQ(run(ns, &id, false, Action::subscribe, "chat:room2"), Outcome::forbidden);
  EXPECT_EQ(run(ns, &id, false, Action::subscribe, "news:a:b"), Outcome::ok);
  EXPECT_EQ(run(ns, &id, false, Action::subscribe, "newsx"), Outcome::forbidden);
  // A subscribe grant does not allow publishing...
  EXPECT_EQ(run(ns, &id, false, Action::publish, "chat:room1"), Outcome::forbidden);
  // ...unless the namespace lets subscribers publish, or a publish grant does.
  ns.publish = true;
  EXPECT_EQ(run(ns, &id, false, Action::publish, "chat:room1"), Outcome::ok);
  ns.publish = false;
  Identity pub = user("p", {}, {"chat:*"});
  EXPECT_EQ(run(ns, &pub, false, Action::publish, "chat:x"), Outcome::ok);
  EXPECT_EQ(run(ns, &pub, false, Action::subscribe, "chat:x"), Outcome::forbidden);
}

TEST(Policy, AuthenticatedNamespacesNeedAnIdentityNotAGrant) {
  base::NamespaceSettings ns;
  ns.authenticated = true;
  Identity id = user("u");
  EXPECT_EQ(run(ns, &id, false, Action::subscribe, "room"), Outcome::ok);
  EXPECT_EQ(run(ns, nullptr, true, Action::subscribe, "room"), Outcome::forbidden);
}

TEST(Policy, UserLimitedChannelsOnlyForTheUsersTheyName) {
  base::NamespaceSettings ns;
  ns.anonymous = true;  // even in an open namespace
  ns.authenticated = true;
  Identity alice = user("alice"), bob = user("bob"), carol = user("carol");
  EXPECT_EQ(run(ns, &alice, false, Action::subscribe, "dm:#alice,bob"), Outcome::ok);
  EXPECT_EQ(run(ns, &bob, false, Action::subscribe, "dm:#alice,bob"), Outcome::ok);
  EXPECT_EQ(run(ns, &carol, false, Action::subscribe, "dm:#alice,bob"), Outcome::forbidden);
  EXPECT_EQ(run(ns, nullptr, true, Action::subscribe, "dm:#alice,bob"), Outcome::forbidden);
  Identity prefix = user("ali");
  EXPECT_EQ(run(ns, &prefix, false, Action::subscribe, "dm:#alice,bob"), Outcome::forbidden);
  Identity nouser = user("");
  EXPECT_EQ(run(ns, &nouser, false, Action::subscribe, "dm:#,bob"), Outcome::forbidden);
  // An explicit grant is the operator's decision and still counts.
  Identity admin_grant = user("ops", {"dm:*"});
  EXPECT_EQ(run(ns, &admin_grant, false, Action::subscribe, "dm:#alice,bob"), Outcome::ok);
  EXPECT_TRUE(lists_user("dm:#alice,bob", "bob"));
  EXPECT_FALSE(lists_user("dm:alice", "alice"));
}

TEST(Policy, HistoryAndPresenceFollowSubscribeThenAvailability) {
  base::NamespaceSettings ns;
  ns.anonymous = true;
  EXPECT_EQ(run(ns, nullptr, true, Action::history, "c"), Outcome::ok);
  EXPECT_EQ(run(ns, nullptr, true, Action::presence, "c"), Outcome::ok);
  ns.history = false;
  EXPECT_EQ(run(ns, nullptr, true, Action::history, "c"), Outcome::forbidden);
  ns.history = true;
  ns.history_size = 0;
  EXPECT_EQ(run(ns, nullptr, true, Action::history, "c"), Outcome::not_available);
  ns.presence = false;
  EXPECT_EQ(run(ns, nullptr, true, Action::presence, "c"), Outcome::not_available);
  // Without the right to subscribe, the answer is forbidden, not a hint about the config.
  EXPECT_EQ(run(ns, nullptr, false, Action::presence, "c"), Outcome::forbidden);
  EXPECT_EQ(run(ns, nullptr, false, Action::history, "c"), Outcome::forbidden);
}

TEST(Policy, TheApiKeyMayDoEverything) {
  base::NamespaceSettings ns;
  const Identity* admin = admin_identity().get();
  for (Action a : {Action::subscribe, Action::publish, Action::history, Action::presence})
    EXPECT_EQ(run(ns, admin, false, a, "dm:#alice"), Outcome::ok);
  ns.history_size = 0;
  EXPECT_EQ(run(ns, admin, false, Action::history, "c"), Outcome::not_available);
  ns.presence = false;
  EXPECT_EQ(run(ns, admin, false, Action::presence, "c"), Outcome::ok);
}

}  // namespace
}  // namespace herald::access

namespace herald::access {

TEST(Policy, PublishingOverUdpNeedsTheNamespacesUdpPublish) {
  base::NamespaceSettings ns;
  ns.anonymous = true;
  ns.publish = true;
  Identity granted = user("u", {}, {"c"});
  Requester anon_udp{nullptr, true, true};
  Requester granted_udp{&granted, false, true};
  // Over TCP transports the usual rules; over UDP the namespace must also say udp_publish,
  // even for a publish grant (a datagram's source is only as good as its lease).
  EXPECT_EQ(decide(ns, Requester{nullptr, true}, Action::publish, "c"), Outcome::ok);
  EXPECT_EQ(decide(ns, anon_udp, Action::publish, "c"), Outcome::forbidden);
  EXPECT_EQ(decide(ns, granted_udp, Action::publish, "c"), Outcome::forbidden);
  ns.udp_publish = true;
  EXPECT_EQ(decide(ns, anon_udp, Action::publish, "c"), Outcome::ok);
  EXPECT_EQ(decide(ns, granted_udp, Action::publish, "c"), Outcome::ok);
  // udp_publish opens nothing the other rules close.
  ns.publish = false;
  EXPECT_EQ(decide(ns, anon_udp, Action::publish, "c"), Outcome::forbidden);
  EXPECT_EQ(decide(ns, granted_udp, Action::publish, "c"), Outcome::ok);
  // Reading over UDP follows the usual rules.
  EXPECT_EQ(decide(ns, anon_udp, Action::subscribe, "c"), Outcome::ok);
}

}  // namespace herald::access
