// fuzz-links: ws_codec
// Sec-WebSocket-Extensions negotiation (RFC 7692) on arbitrary header values: no crash, and
// an accepted offer always yields both no_context_takeover flags and window bits in 8..15.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws_codec/extension.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  herald::ws::NegotiationResult r = herald::ws::negotiate_permessage_deflate(header);
  if (r.outcome != herald::ws::NegotiationResult::accepted) return 0;
  const auto& p = r.params;
  if (!p.enabled || !p.server_no_context_takeover || !p.client_no_context_takeover) std::abort();
  if (p.server_max_window_bits < 8 || p.server_max_window_bits > 15) std::abort();
  if (p.client_max_window_bits < 8 || p.client_max_window_bits > 15) std::abort();
  return 0;
}
