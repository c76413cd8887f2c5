#pragma once
// A Subscriber for hub tests: records what it receives; an optional hook runs inside deliver().
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/subscriber.h"

namespace herald::hub::testing {

class FakeSubscriber final : public Subscriber {
 public:
  explicit FakeSubscriber(std::string id = {}, std::string user = {})
      : id_(std::move(id)), user_(std::move(user)) {}

  void deliver(const Delivery& d) override {
    if (d.pub().is_event()) {
      events.push_back((d.pub().kind == PubKind::join ? "join " : "leave ") +
                       std::string(d.pub().data.view()));
      return;
    }
    got.push_back(d.pub().offset);
    channels.emplace_back(d.pub().channel);
    if (on_deliver) on_deliver(d);
  }
  PresenceInfo presence() const override { return {id_, user_, {}}; }
  void on_stream_reset(std::string_view channel, const Cursor& now) override {
    resets.emplace_back(std::string(channel), now);
  }

  std::vector<uint64_t> got;          // offsets, in delivery order
  std::vector<std::string> channels;  // the channel of each delivery
  std::vector<std::string> events;    // "join DATA" / "leave DATA", in delivery order
  std::function<void(const Delivery&)> on_deliver;
  std::vector<std::pair<std::string, Cursor>> resets;  // on_stream_reset calls

 private:
  std::string id_;
  std::string user_;
};

}  // namespace herald::hub::testing
