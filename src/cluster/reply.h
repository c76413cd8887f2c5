#pragma once
// RESP2 replies from Redis (the cluster module's input): a small tree built by hiredis's
// redisReader with our own object functions, so that the parser is bounded (arrays past
// kMaxReplyElements and replies past kMaxReplyBytes are errors, not allocations) and the
// tree is plain C++ (no freeReplyObject). Commands are formatted with hiredis's
// redisFormatCommandArgv: every argument is length-prefixed, so channel names and payloads
// are never spliced into command text.
//
// Pure: bytes in, replies out; no I/O. Fuzzed (tests/fuzz/redis_reply_fuzz.cpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace herald::cluster {

/// Array elements in one reply, nested ones included; more is a protocol error (a history
/// read returns 3 per publication, so this allows history_size up to ~1.3M).
inline constexpr size_t kMaxReplyElements = 4 * 1024 * 1024;
/// Bytes buffered for one incomplete reply; more is a protocol error.
inline constexpr size_t kMaxReplyBytes = 1024 * 1024 * 1024;

struct Reply {
  enum class Type : uint8_t { string, array, integer, nil, status, error };

  Type type = Type::nil;
  int64_t integer = 0;
  std::string str;              // string, status, error
  std::vector<Reply> elements;  // array

  bool is_error() const { return type == Type::error; }
  bool is_array() const { return type == Type::array; }
  bool is_string() const { return type == Type::string; }
  bool is_nil() const { return type == Type::nil; }
  /// A status reply with this text ("OK", "PONG").
  bool is_status(std::string_view s) const { return type == Type::status && str == s; }
  /// The error's first word ("NOSCRIPT", "MOVED"), or "" when not an error.
  std::string_view error_code() const;
  /// Short description for logs: type and a bounded prefix of the text.
  std::string describe() const;
};

/// Incremental RESP2 reader: feed() bytes as they arrive, then next() until need_more.
class ReplyReader {
 public:
  enum class Status { ok, need_more, error };

  /// `max_elements`: array elements allowed in one reply (tests cross a small one).
  explicit ReplyReader(size_t max_elements = kMaxReplyElements);
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  /// Appends bytes (copied). After an error the reader stays in error.
  void feed(std::string_view bytes);
  /// The next complete reply in `out` (ok), need_more, or error (malformed input or a limit
  /// crossed; see error_text()). A broken stream cannot be resynchronised: drop the link.
  Status next(std::unique_ptr<Reply>& out);
  std::string_view error_text() const;
  /// Bytes fed and not yet consumed by a complete reply.
  size_t buffered() const;

 private:
  redisReader* r_;
  bool too_large_ = false;
  // Array elements the reply being parsed may still have; create_array takes from it.
  size_t max_elements_;
  size_t budget_;
};

/// Appends the RESP encoding of the command `args` (each binary-safe) to `out`.
void format_command(std::string& out, std::span<const std::string_view> args);

}  // namespace herald::cluster
