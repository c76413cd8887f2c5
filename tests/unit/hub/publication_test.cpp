#include "hub/publication.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace herald::hub {

namespace {

PubPtr make_pub(uint64_t offset) {
  return std::make_shared<const Publication>(
      Publication{"c", "EPOCH123", offset, base::SharedBuffer::copy_of("{\"x\":1}"), 0});
}

}  // namespace

TEST(Delivery, EachFormIsBuiltOnceAndShared) {
  Delivery d(make_pub(7));
  int builds = 0;
  auto build_ws = [&builds](const Publication& p) {
    ++builds;
    return base::SharedBuffer::copy_of("ws:" + std::to_string(p.offset));
  };
  EXPECT_FALSE(d.has_form(WireForm::ws_frame));
  const base::SharedBuffer& a = d.form(WireForm::ws_frame, build_ws);
  const base::SharedBuffer& b = d.form(WireForm::ws_frame, build_ws);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(a.view(), "ws:7");
  base::SharedBuffer kept = a;  // a subscriber's output queue keeps a reference
  EXPECT_EQ(kept.use_count(), 2u);

  int sse_builds = 0;
  const base::SharedBuffer& s = d.form(WireForm::sse_event, [&](const Publication& p) {
    ++sse_builds;
    return base::SharedBuffer::copy_of("data: " + std::string(p.data.view()));
  });
  EXPECT_EQ(sse_builds, 1);
  EXPECT_EQ(s.view(), "data: {\"x\":1}");
  EXPECT_FALSE(d.has_form(WireForm::json_push));
  EXPECT_EQ(builds, 1);
}

TEST(FunctionRef, CallsTheReferencedCallable) {
  int state = 3;
  auto add = [&state](int x) { return state + x; };
  FunctionRef<int(int)> f = add;
  EXPECT_EQ(f(4), 7);
  state = 10;
  EXPECT_EQ(f(4), 14);
}

}  // namespace herald::hub
