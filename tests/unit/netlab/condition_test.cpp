#include "tools/netlab/condition.h"

#include <gtest/gtest.h>

namespace herald::netlab {
namespace {

TEST(Condition, ParsesEveryKeyWithOrWithoutItsUnit) {
  auto c = parse_condition("delay=20,jitter=5ms,loss=1.5%,rate=1000kbps");
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->delay_ms, 20);
  EXPECT_DOUBLE_EQ(c->jitter_ms, 5);
  EXPECT_DOUBLE_EQ(c->loss_pct, 1.5);
  EXPECT_DOUBLE_EQ(c->rate_kbps, 1000);
  EXPECT_DOUBLE_EQ(c->max_rtt_ms(), 50);
  EXPECT_EQ(c->to_string(), "delay=20,jitter=5,loss=1.5,rate=1000");
  EXPECT_EQ(*parse_condition(c->to_string()), *c);
}

TEST(Condition, NoneAndEmptyMeanNoImpairment) {
  EXPECT_TRUE(parse_condition("none")->empty());
  EXPECT_TRUE(parse_condition("")->empty());
  EXPECT_EQ(Condition{}.to_string(), "none");
  EXPECT_EQ(parse_condition("loss=3")->to_string(), "loss=3");
}

TEST(Condition, SaysWhatIsWrong) {
  std::string why;
  EXPECT_FALSE(parse_condition("delay=20,bogus=1", &why).ok());
  EXPECT_NE(why.find("unknown key 'bogus'"), std::string::npos) << why;
  EXPECT_FALSE(parse_condition("delay", &why).ok());
  EXPECT_NE(why.find("KEY=VALUE"), std::string::npos) << why;
  EXPECT_FALSE(parse_condition("loss=101", &why).ok());
  EXPECT_NE(why.find("loss must be within 0..100%"), std::string::npos) << why;
  EXPECT_FALSE(parse_condition("delay=-1", &why).ok());
  EXPECT_FALSE(parse_condition("delay=1s", &why).ok());  // only the key's own unit
  EXPECT_NE(why.find("bad number for delay"), std::string::npos) << why;
  EXPECT_FALSE(parse_condition("rate=2", &why).ok());
  EXPECT_NE(why.find("at least 8kbps"), std::string::npos) << why;
  EXPECT_FALSE(parse_condition("delay=nan", &why).ok());
}

TEST(NetPresets, EveryPresetHasNamedValidConditions) {
  for (const char* name : {"lossy", "mobile", "satellite", "rtt", "bandwidth"}) {
    const NetPreset* p = find_net_preset(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_GE(p->conditions.size(), 2u);
    EXPECT_FALSE(p->about.empty());
    for (const NamedCondition& c : p->conditions) {
      EXPECT_FALSE(c.name.empty());
      // What a report prints parses back to the same condition.
      EXPECT_EQ(*parse_condition(c.condition.to_string()), c.condition) << c.name;
    }
  }
  EXPECT_EQ(find_net_preset("chat"), nullptr);
  // lossy keeps the round trip and changes only the loss, so its panels compare loss alone.
  const NetPreset* lossy = find_net_preset("lossy");
  EXPECT_EQ(lossy->conditions[0].condition.loss_pct, 0);
  EXPECT_GT(lossy->conditions[2].condition.loss_pct, lossy->conditions[1].condition.loss_pct);
  for (const auto& c : lossy->conditions)
    EXPECT_EQ(c.condition.delay_ms, lossy->conditions[0].condition.delay_ms);
}

}  // namespace
}  // namespace herald::netlab
