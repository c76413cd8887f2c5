#pragma once
// permessage-deflate payload transform (RFC 7692 §7.2) over zlib raw DEFLATE streams.
//
// Memory is the design constraint (an idle connection costs ~1.3 KB): a deflate stream costs
// ~256 KB with a 15-bit window, an inflate stream ~7 KB plus its window (2^bits bytes, made on
// first use). So:
//  - compression: the server always agrees server_no_context_takeover, every message is
//    compressed alone, and ONE Deflater per loop thread and window size serves every
//    connection of that loop (loop_deflater()); no connection owns a deflate stream;
//  - decompression: a connection gets its own Inflater only when the client keeps its context
//    (no client_no_context_takeover) and only on its first compressed message; otherwise the
//    loop's shared Inflater (loop_inflater()) is reset and used per message.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace herald::ws {

/// Messages shorter than this are sent uncompressed (RSV1 clear): below it deflate rarely
/// saves bytes (a JSON reply of ~40 bytes shrinks by a handful at best) and costs CPU.
inline constexpr size_t kMinCompressSize = 64;

enum class InflateStatus : uint8_t {
  ok,
  too_big,   // the inflated message would pass the limit (close 1009)
  bad_data,  // not a valid DEFLATE stream (close 1007)
};

/// Inflates the messages of one direction of one connection.
class Inflater {
 public:
  /// `window_bits` is the agreed client_max_window_bits (8..15; 8 is inflated with a 9-bit
  /// window because zlib compressors asked for 8 use 9); `reset_per_message` is
  /// client_no_context_takeover.
  Inflater(int window_bits, bool reset_per_message);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  /// Inflates one message's payload (its frames joined, the 0x00 0x00 0xff 0xff tail still
  /// removed as on the wire) into `out` (replaced). The output never grows past `max_size` + a
  /// small step: a zip bomb is stopped at the limit, not after inflating it. On `too_big` or
  /// `bad_data` the stream is unusable (the connection is failed anyway). On `ok`, `out` has
  /// kPayloadPadding bytes of spare capacity (JSON parsing in place).
  InflateStatus inflate(std::string_view in, size_t max_size, std::string& out);

 private:
  struct Stream;
  std::unique_ptr<Stream> z_;
  int window_bits_;
  bool reset_per_message_;
};

/// Compresses messages alone (no context takeover): each call starts from an empty window.
class Deflater {
 public:
  /// `window_bits` 9..15 (zlib's raw deflate cannot use 8).
  explicit Deflater(int window_bits, int level = 6);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  /// Appends the compressed form of `in` to `out` (without the 0x00 0x00 0xff 0xff tail that
  /// RFC 7692 §7.2.1 removes). Returns false (and leaves `out` as it was) when zlib fails.
  bool compress(std::string_view in, std::string& out);

 private:
  struct Stream;
  std::unique_ptr<Stream> z_;
};

/// The loop thread's deflater for `window_bits` (9..15), made on first use and kept for the
/// thread's life. Each loop is one thread and compresses one message at a time, so the stream
/// is never shared between threads nor re-entered.
Deflater& loop_deflater(int window_bits);

/// The loop thread's inflater for clients that agreed client_no_context_takeover: a 15-bit
/// window (enough for any client window) and reset before every message.
Inflater& loop_inflater();

/// Compresses `payload` for a frame to a client that agreed `server_max_window_bits`: true
/// and `out` set when worth it (payload >= kMinCompressSize, a window zlib can honour (>= 9),
/// and the result smaller than the input); false to send the payload uncompressed.
bool compress_message(std::string_view payload, int server_max_window_bits, std::string& out);

}  // namespace herald::ws
