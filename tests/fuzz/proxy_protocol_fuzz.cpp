// fuzz-links: http_codec
// The PROXY protocol header parser (v1 text, v2 binary): never reads past its input, and what
// it accepts is consistent (the header fits the input, an address comes with its family).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http_codec/proxy_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  herald::http::ProxyHeader h;
  herald::http::ProxyParse r = herald::http::parse_proxy_header(in, &h);
  if (r == herald::http::ProxyParse::complete) {
    if (h.length == 0 || h.length > size) std::abort();
    if (h.length > herald::http::kMaxProxyV2Bytes) std::abort();
    // A complete header parses the same from exactly its own bytes.
    herald::http::ProxyHeader again;
    if (herald::http::parse_proxy_header(in.substr(0, h.length), &again) !=
            herald::http::ProxyParse::complete ||
        again.length != h.length || again.has_source != h.has_source)
      std::abort();
  }
  return 0;
}
