// fuzz-links: proto
// herald.v1 parsers on arbitrary bytes. Besides "never crash", checks the property the server
// relies on: whatever data a parser accepts, a push built around it is valid JSON that carries
// the same data text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/json.h"

using namespace herald::proto;

namespace {

void check_push(std::string_view channel, std::string_view data) {
  std::string push;
  encode_push(push, channel, 42, data);
  std::string minified;
  if (!minify_json(push, &minified) || minified != push) abort();  // already minified
  ServerMessage m;
  if (!parse_server_message(push, &m)) abort();
  if (m.kind != ServerMessageKind::publication || m.payload != data || m.offset != 42) abort();
  // The stored text is itself one minified JSON value.
  std::string again;
  if (!minify_json(data, &again) || again != data) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  Command cmd;
  ProtoError err;
  if (parse_command(input, &cmd, &err)) {
    if (cmd.has_data) check_push(cmd.has_channel ? cmd.channel : "c", cmd.data);
  } else {
    std::string out;
    encode_error(out, err);
    std::string check;
    if (!minify_json(out, &check)) abort();
  }
  PublishBody body;
  if (parse_publish_body(input, &body, &err)) check_push(body.channel, body.data);
  BroadcastBody broadcast;
  if (parse_broadcast_body(input, &broadcast, &err))
    check_push(broadcast.channels[0], broadcast.data);
  ServerMessage m;
  parse_server_message(input, &m);
  // The string escaper must turn any bytes into a valid JSON string.
  std::string s;
  append_json_string(s, input);
  std::string check;
  if (!minify_json(s, &check)) abort();
  return 0;
}
