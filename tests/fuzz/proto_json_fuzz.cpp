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
  ProtoError body_err;
  bool body_ok = parse_publish_body(input, &body, &body_err);
  if (body_ok) check_push(body.channel, body.data);
  // The server's one-pass parser must answer exactly like the reference.
  PublishView view;
  ProtoError view_err;
  bool view_ok = parse_publish_view(input, &view, &view_err);
  if (view_ok != body_ok) abort();
  if (view_ok && (view.channel != body.channel || view.data != body.data)) abort();
  if (!view_ok && (view_err.reason != body_err.reason || view_err.message != body_err.message))
    abort();
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
