// fuzz-links: proto
// Cursor decoders on arbitrary bytes: never crash, and whatever decodes re-encodes to a text
// that decodes to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/cursor.h"

using namespace herald::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);

  if (auto c = parse_cursor(input)) {
    std::string text = format_cursor(*c);
    if (text != input) abort();  // the single form is canonical
    auto again = parse_cursor(text);
    if (!again || !(*again == *c)) abort();
  }

  if (auto list = decode_multi_cursor(input)) {
    std::string text = encode_multi_cursor(*list);
    if (text.size() > kMaxMultiCursorBytes) abort();
    auto again = decode_multi_cursor(text);
    if (!again || *again != *list) abort();
    for (char ch : text) {
      bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
      if (!safe) abort();
    }
  }

  static const std::vector<std::string> kOne = {"chat"};
  static const std::vector<std::string> kTwo = {"a", "b"};
  (void)decode_any_cursor(input, kOne);
  (void)decode_any_cursor(input, kTwo);
  return 0;
}
