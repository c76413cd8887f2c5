// fuzz-links: udp_codec
// The client side of the UDP datagram protocol (udp_codec::ClientSession) on arbitrary server
// datagrams and clock steps: never crashes, sends only datagrams that decode, never reports an
// offset twice, and its losses never exceed what it had missing. Input: records of
// [u8 clock step][u16 length][bytes]; a record of 12 bytes or more gets the session's number
// stamped in its header so that it reaches past the session check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "udp_codec/client.h"

using namespace herald::udp_codec;

namespace {

constexpr uint64_t kSession = 0x1234;

struct Checker : ClientSession::Sink {
  std::set<std::pair<std::string, uint64_t>> seen;  // (channel index + epoch, offset)
  void send(std::string_view d) override {
    Message m;
    if (decode(d, &m) != DecodeError::ok || m.session != kSession || !from_client(m.type)) abort();
  }
  void once(size_t i, std::string_view epoch, uint64_t off) {
    if (!seen.emplace(std::to_string(i) + "/" + std::string(epoch), off).second) abort();
  }
  void on_publication(size_t i, std::string_view epoch, uint64_t off, std::string_view,
                      bool) override {
    once(i, epoch, off);
  }
  void on_announce(size_t i, std::string_view epoch, uint64_t off, uint32_t, bool) override {
    once(i, epoch, off);
  }
  void on_error(size_t, uint16_t, std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  Checker sink;
  ClientSession s(kSession, "t", {{"a", "", 0}, {"b", "E", 5}}, sink);
  uint64_t now = 1000;
  s.start(now);
  size_t p = 0;
  while (p + 3 <= size) {
    now += bytes[p];
    size_t len = size_t(bytes[p + 1]) << 8 | bytes[p + 2];
    p += 3;
    if (len > size - p) len = size - p;
    std::string d(reinterpret_cast<const char*>(bytes + p), len);
    p += len;
    if (d.size() >= kHeaderBytes) stamp_session(d.data(), kSession);
    s.on_datagram(d, now);
    s.tick(now);
    for (size_t i = 0; i < s.channels(); ++i) {
      if (!s.tracker(i).started()) continue;
      if (s.tracker(i).contiguous() > s.tracker(i).end()) abort();
    }
  }
  return 0;
}
