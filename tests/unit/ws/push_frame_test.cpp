// The push frame of a text publication is written in place; it must be byte for byte the frame
// of the encoded push object (proto::encode_push) that every other form is built from.
#include <gtest/gtest.h>

#include <string>

#include "proto/json.h"
#include "ws/session_herald.h"

namespace herald::ws {
namespace {

std::string reference(const hub::Publication& pub) {
  std::string json;
  proto::encode_push(json, pub.channel, pub.offset, pub.data.view());
  return std::string(make_frame(Opcode::text, json).view());
}

TEST(PushFrame, TextPushIsTheFrameOfItsEncodedObject) {
  // Frame lengths around the 7-bit / 16-bit / 64-bit length forms (125, 126, 65535, 65536).
  for (uint64_t offset : {0ull, 9ull, 10ull, 18446744073709551615ull}) {
    for (size_t size : {1u, 60u, 70u, 71u, 72u, 100u, 65450u, 65500u, 65510u, 70000u}) {
      std::string data = size == 1 ? "7" : "\"" + std::string(size - 2, 'x') + "\"";
      hub::Publication pub{"chat:room-1#a,b", "e", offset, base::SharedBuffer::copy_of(data)};
      ASSERT_EQ(std::string(make_push_frame(pub).view()), reference(pub))
          << "offset " << offset << ", data " << size;
    }
  }
}

}  // namespace
}  // namespace herald::ws
