#include "access/identity.h"

namespace herald::access {

const IdentityPtr& admin_identity() {
  static const IdentityPtr kAdmin = [] {
    auto id = std::make_shared<Identity>();
    id->source = Source::api_key;
    return IdentityPtr(std::move(id));
  }();
  return kAdmin;
}

}  // namespace herald::access
