#include "access/outcome.h"

#include <gtest/gtest.h>

#include "access/credentials.h"
#include "access/shared.h"
#include "base/error.h"

namespace herald::access {
namespace {

TEST(Outcome, TheTableFollowsTheEnum) {
  EXPECT_EQ(outcome_name(Outcome::ok), "ok");
  EXPECT_EQ(outcome_name(Outcome::internal), "internal");
  EXPECT_EQ(answer(Outcome::forbidden).status, 403);
  EXPECT_EQ(answer(Outcome::forbidden).message, "permission denied");
  EXPECT_EQ(answer(Outcome::unauthorized).ws_close, 4500);
  EXPECT_TRUE(answer(Outcome::unauthorized).challenge);
  EXPECT_EQ(answer(Outcome::token_expired).ws_close, 4005);
  EXPECT_EQ(answer(Outcome::limit_reached).ws_close, 4504);
  EXPECT_EQ(answer(Outcome::unavailable).status, 503);
  // Reconnect range for what may succeed later, the other range for what will not.
  EXPECT_LT(answer(Outcome::unavailable).ws_close, 4500);
  EXPECT_GE(answer(Outcome::forbidden).ws_close, 4500);
  // The operator's disconnect: with reconnect, and for good.
  EXPECT_EQ(answer(Outcome::disconnected).ws_close, 4006);
  EXPECT_EQ(answer(Outcome::disconnected_final).ws_close, 4506);
  EXPECT_EQ(outcome_name(Outcome::disconnected_final), "disconnected_final");
}

TEST(Outcome, HubErrorsMapToOneOutcomeEach) {
  using base::Errc;
  EXPECT_EQ(outcome_of({}), Outcome::ok);
  EXPECT_EQ(outcome_of(Errc::bad_channel), Outcome::bad_channel);
  EXPECT_EQ(outcome_of(Errc::bad_cursor), Outcome::bad_cursor);
  EXPECT_EQ(outcome_of(Errc::already_exists), Outcome::already_subscribed);
  EXPECT_EQ(outcome_of(Errc::forbidden), Outcome::forbidden);
  EXPECT_EQ(outcome_of(Errc::unavailable), Outcome::unavailable);
  EXPECT_EQ(outcome_of(Errc::timeout), Outcome::unavailable);
  EXPECT_EQ(outcome_of(Errc::config_error), Outcome::internal);
}

TEST(Outcome, TravelsAsAnErrorCodeAndBack) {
  // Gate::publish reports refusals through the hub's callback type as error codes.
  for (int v = 1; v <= int(Outcome::internal); ++v) {
    std::error_code ec = make_error_code(Outcome(v));
    EXPECT_TRUE(ec);
    EXPECT_EQ(outcome_of(ec), Outcome(v));
    EXPECT_EQ(ec.message(), answer(Outcome(v)).message);
  }
  base::Result<int> refused(make_error_code(Outcome::rate_limited));
  EXPECT_FALSE(refused);
  EXPECT_EQ(outcome_of(refused.error()), Outcome::rate_limited);
}

TEST(Credentials, BearerSchemeIsCaseInsensitive) {
  std::string_view t;
  ASSERT_TRUE(bearer_token("Bearer abc", &t));
  EXPECT_EQ(t, "abc");
  ASSERT_TRUE(bearer_token("bearer   abc ", &t));
  EXPECT_EQ(t, "abc");
  ASSERT_TRUE(bearer_token("BEARER x.y.z", &t));
  EXPECT_EQ(t, "x.y.z");
  EXPECT_FALSE(bearer_token("Bearer", &t));
  EXPECT_FALSE(bearer_token("Bearer ", &t));
  EXPECT_FALSE(bearer_token("Basic abc", &t));
  EXPECT_FALSE(bearer_token("Bearerabc", &t));
}

TEST(Credentials, SecretsCompareWhole) {
  EXPECT_TRUE(secrets_equal("", ""));
  EXPECT_TRUE(secrets_equal("k3y", "k3y"));
  EXPECT_FALSE(secrets_equal("k3y", "k3"));
  EXPECT_FALSE(secrets_equal("k3", "k3y"));
  EXPECT_FALSE(secrets_equal("a", "b"));
}

TEST(Shared, ConnectionsPerUser) {
  Shared sh;
  EXPECT_TRUE(sh.acquire_connection("u", 2));
  EXPECT_TRUE(sh.acquire_connection("u", 2));
  EXPECT_FALSE(sh.acquire_connection("u", 2));
  EXPECT_EQ(sh.connections_of("u"), 2u);
  sh.release_connection("u");
  EXPECT_TRUE(sh.acquire_connection("u", 2));
  sh.release_connection("u");
  sh.release_connection("u");
  EXPECT_EQ(sh.connections_of("u"), 0u);
  sh.release_connection("u");  // harmless
}

TEST(Shared, PublishBucketIsPerUserAndRefills) {
  Shared sh;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(sh.take_publish_token("u", 3, 1000));
  EXPECT_FALSE(sh.take_publish_token("u", 3, 1000));
  EXPECT_TRUE(sh.take_publish_token("v", 3, 1000));  // another user has its own
  EXPECT_TRUE(sh.take_publish_token("u", 3, 1400));  // 0.4 s later: 1.2 tokens back
  EXPECT_FALSE(sh.take_publish_token("u", 3, 1400));
  sh.prune(5000);
  EXPECT_TRUE(sh.take_publish_token("u", 3, 5000));
}

}  // namespace
}  // namespace herald::access
