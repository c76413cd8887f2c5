#include "ws_codec/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "ws_codec/message.h"

namespace herald::ws {

namespace {

// RFC 7692 §7.2.2: the receiver appends these 4 octets (an empty stored block that the sender's
// Z_SYNC_FLUSH produced and §7.2.1 removed) before inflating.
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};

// First output buffer of an inflate: a guess from the input, then doubled as needed.
constexpr size_t kMinInflateBuffer = 1024;

// Resizes `s` to `n` bytes with a capacity of exactly `n`: std::string's own growth may
// double, which would let a zip bomb allocate twice the limit.
void grow_exact(std::string& s, size_t n) {
  std::string bigger;
  // From an empty string: exactly this (libstdc++ doubles only from an old capacity). The
  // padding is kept so the caller can parse the message in place (kPayloadPadding).
  bigger.reserve(n + kPayloadPadding);
  bigger.append(s);
  bigger.resize(n);
  s.swap(bigger);
}

}  // namespace

struct Inflater::Stream {
  z_stream s{};
};

struct Deflater::Stream {
  z_stream s{};
};

Inflater::Inflater(int window_bits, bool reset_per_message)
    : z_(std::make_unique<Stream>()),
      window_bits_(std::max(window_bits, 9)),
      reset_per_message_(reset_per_message) {
  // Only allocation failure can make this fail; there is no sane way on without memory.
  if (inflateInit2(&z_->s, -window_bits_) != Z_OK) std::abort();
}

Inflater::~Inflater() {
  inflateEnd(&z_->s);
}

// Why bounded step by step: the declared size of a compressed message says nothing about its
// inflated size (1 MB of zeros deflates to ~1 KB). The output grows by doubling, capped at
// max_size + 1, so the first byte past the limit stops the inflate with at most the limit
// allocated.
InflateStatus Inflater::inflate(std::string_view in, size_t max_size, std::string& out) {
  z_stream& s = z_->s;
  if (reset_per_message_) inflateReset(&s);
  out.clear();
  size_t produced = 0;
  const std::string_view phases[2] = {
      in, std::string_view(reinterpret_cast<const char*>(kTail), sizeof kTail)};
  for (std::string_view input : phases) {
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    s.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      if (produced == out.size()) {
        if (produced > max_size) return InflateStatus::too_big;
        size_t want = std::max({produced * 2, in.size() * 3, kMinInflateBuffer});
        grow_exact(out, std::min(want, max_size + 1));
      }
      s.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      s.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT32_MAX));
      const uInt before = s.avail_out;
      const int rc = ::inflate(&s, Z_SYNC_FLUSH);
      produced += before - s.avail_out;
      if (produced > max_size) return InflateStatus::too_big;
      if (rc == Z_STREAM_END) {
        // The sender ended its DEFLATE stream with a BFINAL block (RFC 7692 §7.2.3.3); what
        // follows (at least our tail) starts a new one.
        inflateReset(&s);
        if (s.avail_in == 0) break;
        continue;
      }
      if (rc == Z_BUF_ERROR) {
        if (s.avail_in == 0) break;      // this input is used up
        if (s.avail_out == 0) continue;  // room needed
        return InflateStatus::bad_data;
      }
      if (rc != Z_OK) return InflateStatus::bad_data;
      if (s.avail_in == 0 && s.avail_out > 0) break;
    }
  }
  out.resize(produced);
  return InflateStatus::ok;
}

Deflater::Deflater(int window_bits, int level) : z_(std::make_unique<Stream>()) {
  if (deflateInit2(&z_->s, level, Z_DEFLATED, -std::clamp(window_bits, 9, 15), 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    std::abort();  // only allocation failure
  }
}

Deflater::~Deflater() {
  deflateEnd(&z_->s);
}

bool Deflater::compress(std::string_view in, std::string& out) {
  z_stream& s = z_->s;
  deflateReset(&s);  // no context takeover: every message starts from an empty window
  const size_t start = out.size();
  // deflateBound covers Z_FINISH; a sync flush adds at most a few bytes more.
  out.resize(start + deflateBound(&s, static_cast<uLong>(in.size())) + 16);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  for (;;) {
    s.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
    s.avail_out = static_cast<uInt>(out.size() - start - produced);
    const uInt before = s.avail_out;
    const int rc = deflate(&s, Z_SYNC_FLUSH);
    produced += before - s.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      out.resize(start);
      return false;
    }
    if (s.avail_in == 0 && s.avail_out > 0) break;
    out.resize(out.size() + 1024);
  }
  // RFC 7692 §7.2.1: drop the 0x00 0x00 0xff 0xff that ends a sync flush.
  if (produced >= sizeof kTail && std::memcmp(out.data() + start + produced - 4, kTail, 4) == 0)
    produced -= 4;
  out.resize(start + produced);
  return true;
}

Deflater& loop_deflater(int window_bits) {
  thread_local std::array<std::unique_ptr<Deflater>, 16> by_bits;
  const int bits = std::clamp(window_bits, 9, 15);
  std::unique_ptr<Deflater>& d = by_bits[static_cast<size_t>(bits)];
  if (!d) d = std::make_unique<Deflater>(bits);
  return *d;
}

Inflater& loop_inflater() {
  thread_local std::unique_ptr<Inflater> shared;
  if (!shared) shared = std::make_unique<Inflater>(15, true);
  return *shared;
}

bool compress_message(std::string_view payload, int server_max_window_bits, std::string& out) {
  out.clear();
  if (payload.size() < kMinCompressSize || server_max_window_bits < 9) return false;
  if (!loop_deflater(server_max_window_bits).compress(payload, out)) return false;
  return out.size() < payload.size();
}

}  // namespace herald::ws
