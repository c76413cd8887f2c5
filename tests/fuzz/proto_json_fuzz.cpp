// fuzz-links: proto
// herald.v1 parsers on arbitrary bytes. Besides "never crash", checks the property the server
// relies on: whatever data a parser accepts, a push built around it is valid JSON that carries
// the same data text; whatever bytes it accepts (a binary frame, "b64"), both binary push forms
// carry exactly those bytes; base64 decodes only its one canonical text of every byte string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/binary.h"
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

// The two forms of a binary publication: the WebSocket frame (object, NUL, the same bytes) and
// the JSON push whose "b64" decodes to the same bytes.
void check_binary_push(std::string_view channel, std::string_view bytes) {
  std::string frame;
  encode_binary_push(frame, channel, 42, bytes);
  size_t nul = frame.find('\0');
  if (nul == std::string::npos || frame.substr(nul + 1) != bytes) abort();
  ServerMessage m;
  if (!parse_server_message(std::string_view(frame).substr(0, nul), &m) || m.offset != 42) abort();
  std::string push;
  encode_push_b64(push, channel, 42, bytes);
  std::string minified;
  if (!minify_json(push, &minified) || minified != push) abort();
  size_t at = push.find("\"b64\":\"");
  if (at == std::string::npos) abort();
  std::string_view text = std::string_view(push).substr(at + 7);
  text = text.substr(0, text.size() - 2);  // "}
  std::string decoded;
  if (!decode_base64(text, &decoded) || decoded != bytes) abort();
  ServerMessage b;
  if (!parse_server_message(push, &b) || b.kind != ServerMessageKind::publication || !b.binary ||
      b.payload != bytes)
    abort();
}

void check_payload(std::string_view channel, std::string_view data, bool binary) {
  if (binary) {
    check_binary_push(channel, data);
  } else {
    check_push(channel, data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  Command cmd;
  ProtoError err;
  if (parse_command(input, &cmd, &err)) {
    if (cmd.has_data) check_payload(cmd.has_channel ? cmd.channel : "c", cmd.data, cmd.binary);
  } else {
    std::string out;
    encode_error(out, err);
    std::string check;
    if (!minify_json(out, &check)) abort();
  }
  PublishBody body;
  ProtoError body_err;
  bool body_ok = parse_publish_body(input, &body, &body_err);
  if (body_ok) check_payload(body.channel, body.data, body.binary);
  // The server's one-pass parser must answer exactly like the reference.
  PublishView view;
  ProtoError view_err;
  bool view_ok = parse_publish_view(input, &view, &view_err);
  if (view_ok != body_ok) abort();
  if (view_ok &&
      (view.channel.view() != body.channel || view.data != body.data || view.binary != body.binary))
    abort();
  if (!view_ok && (view_err.reason != body_err.reason || view_err.message != body_err.message))
    abort();
  BroadcastBody broadcast;
  if (parse_broadcast_body(input, &broadcast, &err))
    check_payload(broadcast.channels[0], broadcast.data, broadcast.binary);
  // The same bytes as a WebSocket binary frame: a command object, NUL, a payload.
  Command bin;
  ProtoError bin_err;
  if (parse_binary_command(input, &bin, &bin_err)) {
    if (bin.op != Op::publish || !bin.binary) abort();
    size_t nul = input.find('\0');
    if (nul == std::string_view::npos || bin.data != input.substr(nul + 1)) abort();
    check_binary_push(bin.channel, bin.data);
  } else {
    std::string out;
    encode_error(out, bin_err);
    std::string check;
    if (!minify_json(out, &check)) abort();
  }
  // base64: a text that decodes is the canonical text of what it decodes to, and any bytes
  // survive a round trip.
  std::string decoded;
  if (decode_base64(input, &decoded)) {
    std::string again;
    append_base64(again, decoded);
    if (again != input) abort();
  }
  std::string text;
  append_base64(text, input);
  decoded.clear();
  if (text.size() != base64_size(input.size()) || !decode_base64(text, &decoded) ||
      decoded != input)
    abort();
  ServerMessage m;
  parse_server_message(input, &m);
  // The string escaper must turn any bytes into a valid JSON string.
  std::string s;
  append_json_string(s, input);
  std::string check;
  if (!minify_json(s, &check)) abort();
  return 0;
}
