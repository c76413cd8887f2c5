#include "udp_codec/datagram.h"

#include <cstring>

#include "base/channel.h"

namespace herald::udp_codec {

namespace {

// Reads fields from the front of a datagram; the first overrun sets `bad` and every later
// read returns zeros, so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool bad() const { return bad_; }
  size_t left() const { return size_t(end_ - p_); }
  std::string_view rest() {
    std::string_view r(p_, left());
    p_ = end_;
    return r;
  }

  uint64_t uint(size_t n) {
    if (!take(n)) return 0;
    const char* at = p_ - n;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | uint8_t(at[i]);
    return v;
  }
  uint8_t u8() { return uint8_t(uint(1)); }
  uint16_t u16() { return uint16_t(uint(2)); }
  uint32_t u32() { return uint32_t(uint(4)); }
  uint64_t u64() { return uint(8); }
  std::string_view bytes(size_t n) {
    if (!take(n)) return {};
    return {p_ - n, n};
  }
  std::string_view str8() { return bytes(u8()); }
  std::string_view str16() { return bytes(u16()); }

 private:
  bool take(size_t n) {
    if (bad_ || left() < n) {
      bad_ = true;
      return false;
    }
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
  bool bad_ = false;
};

class Writer {
 public:
  explicit Writer(char* p) : p_(p), start_(p) {}
  size_t written() const { return size_t(p_ - start_); }
  void uint(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) p_[i] = char(uint8_t(v >> (8 * (n - 1 - i))));
    p_ += n;
  }
  void bytes(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void str8(std::string_view s) {
    uint(s.size(), 1);
    bytes(s);
  }
  void str16(std::string_view s) {
    uint(s.size(), 2);
    bytes(s);
  }
  void zeros(size_t n) {
    std::memset(p_, 0, n);
    p_ += n;
  }

 private:
  char* p_;
  char* start_;
};

bool known_type(uint8_t t) {
  return (t >= 0x01 && t <= 0x08) || (t >= 0x81 && t <= 0x8b);
}

DecodeError check_channel(std::string_view c) {
  return base::valid_channel(c) ? DecodeError::ok : DecodeError::bad_channel;
}

// An epoch that may be empty (subscribe from now) or must be present.
DecodeError check_epoch(std::string_view e, bool may_be_empty) {
  if (e.empty()) return may_be_empty ? DecodeError::ok : DecodeError::bad_epoch;
  return base::valid_epoch(e) ? DecodeError::ok : DecodeError::bad_epoch;
}

DecodeError decode_body(Reader& r, Message* m) {
  DecodeError e = DecodeError::ok;
  auto first = [&e](DecodeError x) {
    if (e == DecodeError::ok) e = x;
  };
  switch (m->type) {
    case Type::hello: {
      std::string_view pad = r.rest();
      m->padding = kHeaderBytes + pad.size();
      if (m->padding < kHelloMinBytes) return DecodeError::bad_value;
      for (char c : pad) {
        if (c != 0) return DecodeError::bad_value;
      }
      return DecodeError::ok;
    }
    case Type::open: {
      std::string_view c = r.bytes(kCookieBytes);
      if (c.size() == kCookieBytes) std::memcpy(m->cookie.data(), c.data(), kCookieBytes);
      m->token = r.str16();
      break;
    }
    case Type::cookie: {
      std::string_view c = r.bytes(kCookieBytes);
      if (c.size() == kCookieBytes) std::memcpy(m->cookie.data(), c.data(), kCookieBytes);
      break;
    }
    case Type::subscribe:
      m->id = r.u32();
      m->channel = r.str8();
      m->epoch = r.str8();
      m->offset = r.u64();
      if (r.bad()) break;
      first(check_channel(m->channel));
      first(check_epoch(m->epoch, true));
      // Without a cursor the offset means nothing: it must be 0 (one encoding per message).
      if (m->epoch.empty() && m->offset != 0) first(DecodeError::bad_value);
      break;
    case Type::unsubscribe:
      m->id = r.u32();
      m->channel = r.str8();
      if (!r.bad()) first(check_channel(m->channel));
      break;
    case Type::keepalive:
    case Type::ok:
      m->id = r.u32();
      break;
    case Type::resend:
      m->id = r.u32();
      m->channel = r.str8();
      m->epoch = r.str8();
      m->offset = r.u64();
      m->count = r.u16();
      if (r.bad()) break;
      first(check_channel(m->channel));
      first(check_epoch(m->epoch, false));
      if (m->count == 0 || m->count > kMaxResendCount) first(DecodeError::bad_value);
      break;
    case Type::publish:
      m->id = r.u32();
      m->channel = r.str8();
      m->data = r.rest();
      if (!r.bad()) first(check_channel(m->channel));
      break;
    case Type::close:
    case Type::reset:
      break;
    case Type::opened:
      m->lease_ms = r.u32();
      m->max_datagram = r.u16();
      break;
    case Type::subscribed:
    case Type::resent:
      m->id = r.u32();
      m->channel = r.str8();
      m->epoch = r.str8();
      m->offset = r.u64();
      m->flags = r.u8();
      if (r.bad()) break;
      first(check_channel(m->channel));
      first(check_epoch(m->epoch, false));
      if (m->flags & ~kKnownFlags) first(DecodeError::bad_flags);
      break;
    case Type::pub:
      m->channel = r.str8();
      m->epoch = r.str8();
      m->offset = r.u64();
      m->data = r.rest();
      if (r.bad()) break;
      first(check_channel(m->channel));
      first(check_epoch(m->epoch, false));
      break;
    case Type::announce:
      m->channel = r.str8();
      m->epoch = r.str8();
      m->offset = r.u64();
      m->size = r.u32();
      if (r.bad()) break;
      first(check_channel(m->channel));
      first(check_epoch(m->epoch, false));
      break;
    case Type::lease:
      m->id = r.u32();
      m->lease_ms = r.u32();
      break;
    case Type::published:
      m->id = r.u32();
      m->epoch = r.str8();
      m->offset = r.u64();
      if (!r.bad()) first(check_epoch(m->epoch, false));
      break;
    case Type::error:
      m->id = r.u32();
      m->code = r.u16();
      m->message = r.str8();
      break;
  }
  if (r.bad()) return DecodeError::truncated;
  if (e != DecodeError::ok) return e;
  if (r.left() != 0) return DecodeError::trailing;
  return DecodeError::ok;
}

}  // namespace

std::string_view type_name(Type t) {
  switch (t) {
    case Type::hello:
      return "hello";
    case Type::open:
      return "open";
    case Type::subscribe:
      return "subscribe";
    case Type::unsubscribe:
      return "unsubscribe";
    case Type::keepalive:
      return "keepalive";
    case Type::resend:
      return "resend";
    case Type::publish:
      return "publish";
    case Type::close:
      return "close";
    case Type::cookie:
      return "cookie";
    case Type::opened:
      return "opened";
    case Type::subscribed:
      return "subscribed";
    case Type::pub:
      return "pub";
    case Type::announce:
      return "announce";
    case Type::resent:
      return "resent";
    case Type::lease:
      return "lease";
    case Type::published:
      return "published";
    case Type::error:
      return "error";
    case Type::reset:
      return "reset";
    case Type::ok:
      return "ok";
  }
  return "?";
}

std::string_view decode_error_name(DecodeError e) {
  switch (e) {
    case DecodeError::ok:
      return "ok";
    case DecodeError::too_short:
      return "too_short";
    case DecodeError::bad_magic:
      return "bad_magic";
    case DecodeError::bad_version:
      return "bad_version";
    case DecodeError::bad_flags:
      return "bad_flags";
    case DecodeError::unknown_type:
      return "unknown_type";
    case DecodeError::truncated:
      return "truncated";
    case DecodeError::trailing:
      return "trailing";
    case DecodeError::bad_channel:
      return "bad_channel";
    case DecodeError::bad_epoch:
      return "bad_epoch";
    case DecodeError::bad_value:
      return "bad_value";
  }
  return "?";
}

DecodeError decode(std::string_view dgram, Message* out) {
  *out = Message{};
  if (dgram.size() < kHeaderBytes) return DecodeError::too_short;
  if (uint8_t(dgram[0]) != kMagic) return DecodeError::bad_magic;
  if (uint8_t(dgram[1]) != kVersion) return DecodeError::bad_version;
  uint8_t type = uint8_t(dgram[2]);
  if (!known_type(type)) return DecodeError::unknown_type;
  uint8_t flags = uint8_t(dgram[3]);
  bool may_be_binary = Type(type) == Type::pub || Type(type) == Type::publish;
  if (flags & ~(may_be_binary ? kHeaderBinary : 0)) return DecodeError::bad_flags;
  out->binary = flags & kHeaderBinary;
  out->type = Type(type);
  out->session = peek_session(dgram);
  Reader r(dgram.substr(kHeaderBytes));
  return decode_body(r, out);
}

size_t encoded_size(const Message& m) {
  size_t n = kHeaderBytes;
  switch (m.type) {
    case Type::hello:
      return m.padding;
    case Type::open:
      return n + kCookieBytes + 2 + m.token.size();
    case Type::cookie:
      return n + kCookieBytes;
    case Type::subscribe:
      return n + 4 + 1 + m.channel.size() + 1 + m.epoch.size() + 8;
    case Type::unsubscribe:
      return n + 4 + 1 + m.channel.size();
    case Type::keepalive:
    case Type::ok:
      return n + 4;
    case Type::resend:
      return n + 4 + 1 + m.channel.size() + 1 + m.epoch.size() + 8 + 2;
    case Type::publish:
      return n + 4 + 1 + m.channel.size() + m.data.size();
    case Type::close:
    case Type::reset:
      return n;
    case Type::opened:
      return n + 4 + 2;
    case Type::subscribed:
    case Type::resent:
      return n + 4 + 1 + m.channel.size() + 1 + m.epoch.size() + 8 + 1;
    case Type::pub:
      return n + 1 + m.channel.size() + 1 + m.epoch.size() + 8 + m.data.size();
    case Type::announce:
      return n + 1 + m.channel.size() + 1 + m.epoch.size() + 8 + 4;
    case Type::lease:
      return n + 4 + 4;
    case Type::published:
      return n + 4 + 1 + m.epoch.size() + 8;
    case Type::error:
      return n + 4 + 2 + 1 + m.message.size();
  }
  return n;
}

size_t encode_to(const Message& m, char* buf) {
  Writer w(buf);
  w.uint(kMagic, 1);
  w.uint(kVersion, 1);
  w.uint(uint8_t(m.type), 1);
  w.uint(m.binary && (m.type == Type::pub || m.type == Type::publish) ? kHeaderBinary : 0, 1);
  w.uint(m.session, 8);
  switch (m.type) {
    case Type::hello:
      w.zeros(m.padding > kHeaderBytes ? m.padding - kHeaderBytes : 0);
      break;
    case Type::open:
      w.bytes({reinterpret_cast<const char*>(m.cookie.data()), kCookieBytes});
      w.str16(m.token);
      break;
    case Type::cookie:
      w.bytes({reinterpret_cast<const char*>(m.cookie.data()), kCookieBytes});
      break;
    case Type::subscribe:
      w.uint(m.id, 4);
      w.str8(m.channel);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      break;
    case Type::unsubscribe:
      w.uint(m.id, 4);
      w.str8(m.channel);
      break;
    case Type::keepalive:
    case Type::ok:
      w.uint(m.id, 4);
      break;
    case Type::resend:
      w.uint(m.id, 4);
      w.str8(m.channel);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      w.uint(m.count, 2);
      break;
    case Type::publish:
      w.uint(m.id, 4);
      w.str8(m.channel);
      w.bytes(m.data);
      break;
    case Type::close:
    case Type::reset:
      break;
    case Type::opened:
      w.uint(m.lease_ms, 4);
      w.uint(m.max_datagram, 2);
      break;
    case Type::subscribed:
    case Type::resent:
      w.uint(m.id, 4);
      w.str8(m.channel);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      w.uint(m.flags, 1);
      break;
    case Type::pub:
      w.str8(m.channel);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      w.bytes(m.data);
      break;
    case Type::announce:
      w.str8(m.channel);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      w.uint(m.size, 4);
      break;
    case Type::lease:
      w.uint(m.id, 4);
      w.uint(m.lease_ms, 4);
      break;
    case Type::published:
      w.uint(m.id, 4);
      w.str8(m.epoch);
      w.uint(m.offset, 8);
      break;
    case Type::error:
      w.uint(m.id, 4);
      w.uint(m.code, 2);
      w.str8(m.message);
      break;
  }
  return w.written();
}

void encode(const Message& m, std::string* out) {
  size_t at = out->size();
  out->resize(at + encoded_size(m));
  size_t n = encode_to(m, out->data() + at);
  out->resize(at + n);
}

uint64_t peek_session(std::string_view dgram) {
  uint64_t v = 0;
  for (size_t i = 4; i < kHeaderBytes && i < dgram.size(); ++i) v = (v << 8) | uint8_t(dgram[i]);
  return v;
}

void stamp_session(char* header, uint64_t session) {
  for (size_t i = 0; i < 8; ++i) header[4 + i] = char(uint8_t(session >> (8 * (7 - i))));
}

}  // namespace herald::udp_codec
