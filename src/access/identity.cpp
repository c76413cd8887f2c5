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

std::string next_client_id(int loop_index) {
  thread_local uint64_t counter = 0;
  return "c" + std::to_string(loop_index) + "-" + std::to_string(++counter);
}

}  // namespace herald::access
