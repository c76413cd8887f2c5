#pragma once
// Helpers shared by the ws unit tests: build client frames, run a WsReader over chunks and
// print its events as one comparable string.
#include <string>
#include <string_view>
#include <vector>

#include "ws_codec/frame.h"
#include "ws_codec/message.h"

namespace herald::ws::test {

inline constexpr uint8_t kKey[4] = {0x37, 0xfa, 0x21, 0x3d};  // the RFC 6455 §5.7 mask key

/// A masked client frame, as a browser would send it.
inline std::string masked(Opcode op, std::string_view payload, bool fin = true) {
  return encode_client_frame(op, payload, kKey, fin);
}

/// Raw bytes from a list of octets.
inline std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

/// "text:Hello|ping:|close:1000:bye|error:1002". Long payloads print as "#<size>".
inline std::string describe(const std::vector<WsEvent>& events) {
  static const char* kNames[] = {"text", "binary", "ping", "pong", "close", "error"};
  std::string s;
  for (const WsEvent& e : events) {
    if (!s.empty()) s += "|";
    s += kNames[e.kind];
    if (e.compressed) s += "(z)";
    if (e.kind == WsEvent::close || e.kind == WsEvent::error) {
      s += ":" + std::to_string(e.close_code);
    }
    if (e.kind != WsEvent::error) {
      s += ":";
      s += e.payload.size() <= 40 ? e.payload : "#" + std::to_string(e.payload.size());
    }
  }
  return s;
}

/// Feeds `in` cut at `cuts` (ascending offsets) and describes every event produced.
inline std::string run(std::string_view in, std::vector<size_t> cuts = {}, WsLimits limits = {}) {
  WsReader reader(limits);
  std::vector<WsEvent> events;
  size_t from = 0;
  cuts.push_back(in.size());
  for (size_t to : cuts) {
    reader.feed(in.substr(from, to - from), events);
    from = to;
  }
  return describe(events);
}

}  // namespace herald::ws::test
