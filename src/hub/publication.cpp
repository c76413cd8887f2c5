#include "hub/publication.h"

namespace herald::hub {

const base::SharedBuffer& Delivery::form(WireForm f, Builder make) const {
  base::SharedBuffer& slot = forms_[size_t(f)];
  if (!slot) slot = make(*pub_);
  return slot;
}

}  // namespace herald::hub
