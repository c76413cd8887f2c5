#pragma once
// herald's UDP datagram format, version 1 (docs/protocol.md, "UDP datagrams"): a pure codec,
// bytes in and a Message out or a Message in and bytes out, no I/O, no allocation on decode
// (a decoded Message holds views into the datagram). Server and clients (herald sub, bench,
// tests) read and write datagrams only through it.
//
// Every datagram starts with a 12-byte header, integers big-endian:
//
//   0  u8   magic 0x68 ('h')
//   1  u8   version (1)
//   2  u8   type (below; client -> server < 0x80, server -> client >= 0x80)
//   3  u8   flags: kHeaderBinary on pub and publish (the data is bytes, not JSON text); every
//           other bit, and every bit on the other types, reserved (0)
//   4  u64  session: chosen by the client at random, echoed in every datagram of the lease
//
// then the body of its type (str8 = u8 length + bytes, str16 = u16 length + bytes):
//
//   hello       0x01  zero padding up to kHelloMinBytes or more (the cookie reply is never
//                     larger than the request: no amplification before validation)
//   open        0x02  cookie[20] token:str16 (empty: anonymous)
//   subscribe   0x03  id:u32 channel:str8 epoch:str8 offset:u64  (empty epoch: from now)
//   unsubscribe 0x04  id:u32 channel:str8
//   keepalive   0x05  id:u32
//   resend      0x06  id:u32 channel:str8 epoch:str8 after:u64 count:u16 (1..kMaxResendCount)
//   publish     0x07  id:u32 channel:str8 data (the rest: JSON text, or bytes with kHeaderBinary)
//   close       0x08  -
//   cookie      0x81  cookie[20]
//   opened      0x82  lease_ms:u32 max_datagram:u16
//   subscribed  0x83  id:u32 channel:str8 epoch:str8 offset:u64 flags:u8
//   pub         0x84  channel:str8 epoch:str8 offset:u64 data (the rest)
//   announce    0x85  channel:str8 epoch:str8 offset:u64 size:u32
//   resent      0x86  id:u32 channel:str8 epoch:str8 offset:u64 flags:u8
//   lease       0x87  id:u32 lease_ms:u32
//   published   0x88  id:u32 epoch:str8 offset:u64
//   error       0x89  id:u32 code:u16 message:str8
//   reset       0x8a  -
//   ok          0x8b  id:u32
//
// Decoding is strict: every length inside the datagram, channel names and epochs by the
// channel grammar (base/channel.h), reserved bits zero, no trailing bytes (except a hello's
// zero padding and the data of pub / publish, which run to the end).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::udp_codec {

inline constexpr uint8_t kMagic = 0x68;
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 12;
/// A hello must be at least this long: its answer (a cookie, 32 bytes) is never larger.
inline constexpr size_t kHelloMinBytes = 64;
/// An address-validation cookie: u32 time window + 16 bytes of HMAC tag.
inline constexpr size_t kCookieBytes = 20;
/// Publications one resend may ask for (bounds the burst a single request causes).
inline constexpr uint16_t kMaxResendCount = 256;
/// The largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP): no datagram is longer.
inline constexpr size_t kMaxDatagramBytes = 65'507;

enum class Type : uint8_t {
  hello = 0x01,
  open = 0x02,
  subscribe = 0x03,
  unsubscribe = 0x04,
  keepalive = 0x05,
  resend = 0x06,
  publish = 0x07,
  close = 0x08,
  cookie = 0x81,
  opened = 0x82,
  subscribed = 0x83,
  pub = 0x84,
  announce = 0x85,
  resent = 0x86,
  lease = 0x87,
  published = 0x88,
  error = 0x89,
  reset = 0x8a,
  ok = 0x8b,
};

/// Header flag of pub and publish: `data` is a binary payload's bytes (docs/protocol.md,
/// "Binary payloads"), not JSON text.
inline constexpr uint8_t kHeaderBinary = 0x01;

/// subscribed / resent flags.
inline constexpr uint8_t kFlagHadSince = 0x01;   // the request carried a cursor
inline constexpr uint8_t kFlagRecovered = 0x02;  // history covered it (see docs/protocol.md)
inline constexpr uint8_t kKnownFlags = kFlagHadSince | kFlagRecovered;

/// "hello", "pub", ...; "?" for a value that is not a type.
std::string_view type_name(Type t);
/// True for the types sent by clients (< 0x80).
inline bool from_client(Type t) {
  return uint8_t(t) < 0x80;
}

using Cookie = std::array<uint8_t, kCookieBytes>;

/// One datagram, decoded or to encode. Which fields count depends on `type` (the table above);
/// the others are left at their defaults by decode and ignored by encode. Views point into
/// the decoded datagram (or whatever the encoder's caller owns).
struct Message {
  Type type = Type::hello;
  uint64_t session = 0;
  uint32_t id = 0;
  std::string_view channel;
  std::string_view epoch;
  uint64_t offset = 0;        // subscribe/subscribed/pub/announce/resent/published: the offset;
                              // resend: `after`
  uint16_t count = 0;         // resend
  uint32_t lease_ms = 0;      // opened, lease
  uint16_t max_datagram = 0;  // opened
  uint32_t size = 0;          // announce: bytes of the publication's data
  uint8_t flags = 0;          // subscribed, resent
  uint16_t code = 0;          // error: the HTTP status of the access outcome table
  std::string_view message;   // error
  std::string_view token;     // open
  std::string_view data;      // pub, publish
  bool binary = false;        // pub, publish: kHeaderBinary (data is bytes)
  Cookie cookie{};            // open, cookie
  size_t padding = kHelloMinBytes;  // hello: the whole datagram's length
};

enum class DecodeError : uint8_t {
  ok,
  too_short,     // shorter than the header
  bad_magic,     // not a herald datagram
  bad_version,   // another version of the format
  bad_flags,     // reserved header or body flag bits set
  unknown_type,  // a type this version does not define
  truncated,     // a field runs past the end
  trailing,      // bytes after the last field
  bad_channel,   // not a valid channel name
  bad_epoch,     // not a valid epoch (or empty where one is required)
  bad_value,     // a field out of its range (resend count, hello too short or not zeros)
};

/// "ok", "too_short", ...
std::string_view decode_error_name(DecodeError e);

/// Decodes one datagram into `*out` (whose views then point into `dgram`).
DecodeError decode(std::string_view dgram, Message* out);

/// The exact size encode() appends for `m`.
size_t encoded_size(const Message& m);

/// Appends the datagram of `m` to `*out`. `m` must be valid for its type (names and epochs in
/// the grammar, strings within their length fields, resend count in range, hello padding at
/// least kHelloMinBytes); the encoder does not check, the decoder does.
void encode(const Message& m, std::string* out);
/// The same into `buf`, which holds at least encoded_size(m) bytes; returns the bytes written.
size_t encode_to(const Message& m, char* buf);

/// The session of a datagram that has at least a header, without decoding the rest.
uint64_t peek_session(std::string_view dgram);
/// Overwrites the session field of an encoded datagram (`header` holds kHeaderBytes): the
/// server builds one pub per publication and stamps each lease's session when it sends.
void stamp_session(char* header, uint64_t session);

}  // namespace herald::udp_codec
