#include "hub/replay_forms.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace herald::hub {
namespace {

PubPtr message(const std::string& channel, const std::string& epoch, uint64_t offset) {
  auto p = std::make_shared<Publication>();
  p->channel = channel;
  p->epoch = epoch;
  p->offset = offset;
  p->data = base::SharedBuffer::copy_of("{}");
  return p;
}

// Counts its builds; each build is a new buffer naming the publication.
struct Builder {
  int builds = 0;
  base::SharedBuffer operator()(const Publication& p) {
    ++builds;
    return base::SharedBuffer::copy_of(std::string(p.channel) + "/" + p.epoch + "/" +
                                       std::to_string(p.offset));
  }
};

// The table is per thread, and other suites of this process may leave it open (a hub test
// whose executor never runs the close the hub posted): each test starts and ends closed.
struct ReplayFormsTest : ::testing::Test {
  void SetUp() override { ReplayForms::close(); }
  void TearDown() override { ReplayForms::close(); }
};

TEST_F(ReplayFormsTest, AClosedTableBuildsEveryTimeAndKeepsNothing) {
  Builder b;
  PubPtr p = message("c", "e", 1);
  base::SharedBuffer one = ReplayForms::form(p, WireForm::ws_frame, b);
  base::SharedBuffer two = ReplayForms::form(p, WireForm::ws_frame, b);
  EXPECT_EQ(b.builds, 2);
  EXPECT_NE(one.data(), two.data());
  EXPECT_EQ(ReplayForms::size(), 0u);
  EXPECT_EQ(p.use_count(), 1);
}

TEST_F(ReplayFormsTest, WhileOpenOneMessageIsBuiltOncePerFormAndCloseLetsEverythingGo) {
  ASSERT_TRUE(ReplayForms::open());
  EXPECT_FALSE(ReplayForms::open());  // already open: the caller schedules no second close
  Builder b;
  // Two engines' copies of one message (a Redis history read makes new objects) share.
  PubPtr p = message("c", "e", 1);
  PubPtr copy = message("c", "e", 1);
  base::SharedBuffer one = ReplayForms::form(p, WireForm::ws_frame, b);
  base::SharedBuffer two = ReplayForms::form(copy, WireForm::ws_frame, b);
  EXPECT_EQ(b.builds, 1);
  EXPECT_EQ(one.data(), two.data());
  // Another form of it is built once too, and is another buffer.
  base::SharedBuffer sse = ReplayForms::form(copy, WireForm::sse_event, b);
  EXPECT_EQ(ReplayForms::form(p, WireForm::sse_event, b).data(), sse.data());
  EXPECT_EQ(b.builds, 2);
  EXPECT_NE(sse.data(), one.data());
  EXPECT_EQ(ReplayForms::size(), 1u);
  EXPECT_EQ(p.use_count(), 2);  // pinned by the table while open
  ReplayForms::close();
  EXPECT_EQ(ReplayForms::size(), 0u);
  EXPECT_EQ(p.use_count(), 1);
  EXPECT_EQ(one.use_count(), 2u);    // `one` and `two`: the table's reference is gone
  EXPECT_TRUE(ReplayForms::open());  // closed: opens again
}

TEST_F(ReplayFormsTest, ADifferentChannelEpochOrOffsetIsAnotherMessage) {
  ReplayForms::open();
  Builder b;
  PubPtr base = message("c", "e", 3);
  std::string first(ReplayForms::form(base, WireForm::ws_frame, b).view());
  EXPECT_EQ(first, "c/e/3");
  // Same offset (same slot): each replaces the entry and gets its own bytes.
  EXPECT_EQ(ReplayForms::form(message("d", "e", 3), WireForm::ws_frame, b).view(), "d/e/3");
  EXPECT_EQ(ReplayForms::form(message("d", "f", 3), WireForm::ws_frame, b).view(), "d/f/3");
  // An offset kSlots further lands in the same slot too.
  uint64_t far = 3 + ReplayForms::kSlots;
  EXPECT_EQ(ReplayForms::form(message("c", "e", far), WireForm::ws_frame, b).view(),
            "c/e/" + std::to_string(far));
  EXPECT_EQ(ReplayForms::form(base, WireForm::ws_frame, b).view(), "c/e/3");
  EXPECT_EQ(b.builds, 5);
  EXPECT_EQ(ReplayForms::size(), 1u);
  // Consecutive offsets of one replay take consecutive slots: none evicts another.
  Builder run;
  for (uint64_t off = 1; off <= ReplayForms::kSlots; ++off)
    ReplayForms::form(message("r", "e", off), WireForm::ws_frame, run);
  for (uint64_t off = 1; off <= ReplayForms::kSlots; ++off)
    ReplayForms::form(message("r", "e", off), WireForm::ws_frame, run);
  EXPECT_EQ(run.builds, int(ReplayForms::kSlots));
  EXPECT_EQ(ReplayForms::size(), ReplayForms::kSlots);
}

TEST_F(ReplayFormsTest, PresenceEventsAreNeverKept) {
  ReplayForms::open();
  Builder b;
  auto event = std::make_shared<Publication>();
  event->channel = "c";
  event->kind = PubKind::join;
  PubPtr join = event;
  ReplayForms::form(join, WireForm::ws_frame, b);
  ReplayForms::form(join, WireForm::ws_frame, b);
  EXPECT_EQ(b.builds, 2);
  EXPECT_EQ(ReplayForms::size(), 0u);
}

}  // namespace
}  // namespace herald::hub
