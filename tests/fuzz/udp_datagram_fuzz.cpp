// fuzz-links: udp_codec
// The UDP datagram decoder on arbitrary bytes: never crashes or reads past the input, and
// whatever decodes is canonical: encoding the decoded message gives back the same bytes, of
// the size encoded_size() announces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "udp_codec/datagram.h"

using namespace herald::udp_codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  Message m;
  if (decode(input, &m) != DecodeError::ok) return 0;
  if (encoded_size(m) != input.size()) abort();
  std::string out;
  encode(m, &out);
  if (out != input) abort();
  if (peek_session(input) != m.session) abort();
  return 0;
}
