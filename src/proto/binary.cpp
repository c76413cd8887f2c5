#include "proto/binary.h"

#include <cstring>

namespace herald::proto {

bool binary_fits(size_t bytes, const base::Settings& s) {
  if (bytes > s.ws_max_message) return false;
  return s.max_output_bytes == 0 || base64_size(bytes) + kBinaryPushOverhead <= s.max_output_bytes;
}

bool parse_binary_command(std::string_view frame, Command* out, ProtoError* err) {
  const void* nul = std::memchr(frame.data(), kBinarySeparator, frame.size());
  if (!nul) {
    // Without its NUL the frame is no command, whatever it holds; its id is still worth
    // finding when the whole frame happens to be a command object.
    bool parsed = parse_command(frame, out, err, Framing::binary);
    std::string id_text = parsed ? std::string() : std::move(err->id_text);
    *err = make_error(ProtoErrc::no_separator, parsed ? out->has_id : err->has_id,
                      parsed ? out->id : err->id);
    err->id_text = std::move(id_text);
    return false;
  }
  size_t split = size_t(static_cast<const char*>(nul) - frame.data());
  if (!parse_command(frame.substr(0, split), out, err, Framing::binary)) return false;
  if (out->op != Op::publish) {
    *err = make_error(ProtoErrc::binary_op, out->has_id, out->id);
    return false;
  }
  out->data.assign(frame.substr(split + 1));
  out->has_data = true;
  out->binary = true;
  return true;
}

void encode_binary_push(std::string& out, std::string_view channel, uint64_t offset,
                        std::string_view bytes) {
  out.append("{\"channel\":");
  append_json_string(out, channel);
  out.append(",\"offset\":");
  append_uint(out, offset);
  out.push_back('}');
  out.push_back(kBinarySeparator);
  out.append(bytes);
}

void encode_push_b64(std::string& out, std::string_view channel, uint64_t offset,
                     std::string_view bytes) {
  out.append("{\"channel\":");
  append_json_string(out, channel);
  out.append(",\"offset\":");
  append_uint(out, offset);
  out.append(",\"b64\":\"");
  append_base64(out, bytes);
  out.append("\"}");
}

}  // namespace herald::proto
