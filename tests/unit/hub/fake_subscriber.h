#pragma once
// A Subscriber for hub tests: records what it receives; an optional hook runs inside deliver().
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/subscriber.h"

namespace herald::hub::testing {

class FakeSubscriber final : public Subscriber {
 public:
  explicit FakeSubscriber(std::string id = {}) : id_(std::move(id)) {}

  void deliver(const Delivery& d) override {
    got.push_back(d.pub().offset);
    channels.push_back(d.pub().channel);
    if (on_deliver) on_deliver(d);
  }
  std::string_view client_id() const override { return id_; }

  std::vector<uint64_t> got;          // offsets, in delivery order
  std::vector<std::string> channels;  // the channel of each delivery
  std::function<void(const Delivery&)> on_deliver;

 private:
  std::string id_;
};

}  // namespace herald::hub::testing
