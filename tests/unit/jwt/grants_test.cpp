#include "jwt/grants.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::jwt {

TEST(Grants, ValidPatterns) {
  for (std::string_view p : {"chat:lobby", "chat:*", "*", "news", "a*", "user:#alice", "x.y-z_1"}) {
    EXPECT_TRUE(valid_grant(p)) << p;
  }
  EXPECT_TRUE(valid_grant(std::string(255, 'a')));
  EXPECT_TRUE(valid_grant(std::string(255, 'a') + "*"));
}

TEST(Grants, InvalidPatterns) {
  for (std::string_view p : {"", "**", "chat:**", "*chat", "ch*at", "chat:*:x", "a b", "a/b",
                             "chat:\xc3\xa9", "?", "chat:?"}) {
    EXPECT_FALSE(valid_grant(p)) << p;
  }
  EXPECT_FALSE(valid_grant(std::string(256, 'a')));
  EXPECT_FALSE(valid_grant(std::string(256, 'a') + "*"));
}

TEST(Grants, ExactPatternMatchesOnlyItself) {
  EXPECT_TRUE(grant_matches("chat:lobby", "chat:lobby"));
  EXPECT_FALSE(grant_matches("chat:lobby", "chat:lobby2"));
  EXPECT_FALSE(grant_matches("chat:lobby", "chat:lobb"));
  EXPECT_FALSE(grant_matches("chat", "chat:lobby"));
}

TEST(Grants, StarPatternIsAPrefix) {
  EXPECT_TRUE(grant_matches("chat:*", "chat:lobby"));
  EXPECT_TRUE(grant_matches("chat:*", "chat:"));
  EXPECT_TRUE(grant_matches("chat:*", "chat:a:b"));
  EXPECT_FALSE(grant_matches("chat:*", "chat"));
  EXPECT_FALSE(grant_matches("chat:*", "chatroom:x"));
  EXPECT_FALSE(grant_matches("chat:*", "news:chat:x"));
  EXPECT_TRUE(grant_matches("cha*", "chatroom:x"));
  EXPECT_TRUE(grant_matches("*", "anything"));
  EXPECT_FALSE(grant_matches("*", ""));
}

TEST(Grants, AnyOfAList) {
  std::vector<std::string> grants = {"news", "chat:*"};
  EXPECT_TRUE(any_grant_matches(grants, "news"));
  EXPECT_TRUE(any_grant_matches(grants, "chat:x"));
  EXPECT_FALSE(any_grant_matches(grants, "news:x"));
  EXPECT_FALSE(any_grant_matches({}, "news"));
}

}  // namespace herald::jwt
