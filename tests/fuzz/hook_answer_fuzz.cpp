// fuzz-links: access
// Backend hook answers on arbitrary bytes (the first byte picks the status and the reader, the
// rest is the body). Never crashes, and what is accepted is consistent: an allowed identity's
// grants are valid patterns and its info a bounded JSON object; a replacement data is valid
// JSON that reads back as itself; a body over the limit is never accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "access/hook_answer.h"
#include "base/limits.h"
#include "jwt/grants.h"
#include "proto/json.h"

using namespace herald;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 200, 200, 401, 403, 500};
  int status = kStatuses[(bytes[0] >> 1) % 6];
  std::string_view body(reinterpret_cast<const char*>(bytes + 1), size - 1);
  bool too_big = body.size() > base::limits::kMaxHookResponseBytes;

  if (bytes[0] & 1) {
    access::ConnectAnswer a;
    access::HookVerdict v = access::parse_connect_answer(status, body, &a);
    if (v == access::HookVerdict::allow) {
      if (status != 200 || too_big) abort();
      for (const std::string& g : a.channels)
        if (!jwt::valid_grant(g)) abort();
      for (const std::string& g : a.publish)
        if (!jwt::valid_grant(g)) abort();
      if (a.info.size() > base::limits::kMaxInfoBytes) abort();
      if (!a.info.empty() && a.info[0] != '{') abort();
      if (a.expire_at < 0) abort();
    }
    if (v == access::HookVerdict::deny && status == 500) abort();
    return 0;
  }
  access::AllowAnswer w;
  access::HookVerdict v = access::parse_allow_answer(status, body, &w);
  if (v == access::HookVerdict::allow) {
    if (status != 200 || too_big) abort();
    if (w.has_data) {
      std::string again;
      if (!proto::minify_json(w.data, &again) || again != w.data) abort();
    }
  }
  if (v == access::HookVerdict::deny && status == 500) abort();
  return 0;
}
