#include "hub/replay_forms.h"

#include <array>
#include <bit>

namespace herald::hub {
namespace {

struct Slot {
  PubPtr pub;
  std::array<base::SharedBuffer, size_t(WireForm::count)> forms;
};

struct Table {
  bool open = false;
  uint64_t used = 0;  // bit i: slots[i] holds a publication
  std::array<Slot, ReplayForms::kSlots> slots;
};
static_assert(ReplayForms::kSlots == 64, "`used` has one bit per slot");

Table& table() {
  static thread_local Table t;
  return t;
}

bool same_message(const Publication& a, const Publication& b) {
  return &a == &b ||
         (a.offset == b.offset && a.kind == b.kind && a.epoch == b.epoch && a.channel == b.channel);
}

}  // namespace

base::SharedBuffer ReplayForms::form(const PubPtr& pub, WireForm f, Delivery::Builder make) {
  Table& t = table();
  // Presence events have no offset to be known by (and are never replayed).
  if (!t.open || pub->offset == 0) return make(*pub);
  size_t i = pub->offset % kSlots;
  Slot& s = t.slots[i];
  if (!(t.used >> i & 1) || !same_message(*s.pub, *pub)) {
    s.pub = pub;
    for (base::SharedBuffer& b : s.forms) b.reset();
    t.used |= uint64_t{1} << i;
  }
  base::SharedBuffer& b = s.forms[size_t(f)];
  if (!b) b = make(*pub);
  return b;
}

bool ReplayForms::open() {
  Table& t = table();
  if (t.open) return false;
  t.open = true;
  return true;
}

void ReplayForms::close() {
  Table& t = table();
  for (uint64_t used = t.used; used != 0; used &= used - 1) {
    Slot& s = t.slots[size_t(std::countr_zero(used))];
    s.pub.reset();
    for (base::SharedBuffer& b : s.forms) b.reset();
  }
  t.used = 0;
  t.open = false;
}

size_t ReplayForms::size() {
  return size_t(std::popcount(table().used));
}

}  // namespace herald::hub
