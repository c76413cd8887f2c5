#pragma once
// What herald keeps in Redis and how it reads it back (docs/design.md, "Cluster mode").
//
// Per channel C, with the configured prefix P (every name carries the hash tag {C}, so a
// channel's keys and its shard channel live in one Redis Cluster slot):
//   P:{C}:m   hash  e = epoch, o = last assigned offset     (expires: meta TTL, see engine)
//   P:{C}:s   stream of the history; entry ID "OFFSET-0", fields d = data, t = publish time
//             in Redis's clock (ms), trimmed to history_size, expires after history_ttl
//   P:{C}     the (shard) pub/sub channel carrying live publications as "EPOCH:OFFSET DATA"
// DATA (the stream's d and the live message's tail) is the stored form of a payload: JSON text
// as it is, bytes behind one NUL byte (kBinaryMark). Minified JSON text never starts with NUL,
// so the mark needs no other field and the Lua scripts never look inside DATA.
// Channel names (1-255 bytes of [A-Za-z0-9_.:@#=-]) have no braces, so {C} is always the
// hash tag, and they only ever travel as command arguments (KEYS/ARGV), never as script text.
//
// Everything here is pure: the engine feeds it Replies; tests/fuzz/redis_reply_fuzz.cpp feeds
// it random bytes through the ReplyReader.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "cluster/reply.h"
#include "hub/engine.h"

namespace herald::cluster {

/// A key prefix: 1-64 bytes of [A-Za-z0-9_.:-] (no braces: they would move the hash tag).
bool valid_prefix(std::string_view prefix);

struct ChannelKeys {
  std::string meta;    // P:{C}:m
  std::string stream;  // P:{C}:s
  std::string feed;    // P:{C}
};
ChannelKeys channel_keys(std::string_view prefix, std::string_view channel);

/// The herald channel named by pub/sub channel `feed` ("P:{C}" -> "C"), or "" when `feed` is
/// not one of ours or names no valid channel.
std::string_view channel_of_feed(std::string_view prefix, std::string_view feed);

/// Marks the stored form of a binary payload (see above).
inline constexpr char kBinaryMark = '\0';

/// The stored form of `payload`: a view of its data for JSON; for bytes, kBinaryMark and the
/// bytes, written into `*scratch`.
std::string_view stored_form(const hub::Payload& payload, std::string* scratch);

/// The payload of a stored form (bytes when it starts with kBinaryMark), copied.
hub::Payload payload_of(std::string_view stored);

/// A live publication as the publish script sends it: "EPOCH:OFFSET DATA". Views into the
/// payload. The epoch and offset use restricted alphabets, so the first ':' and the first ' '
/// after it delimit them and DATA is everything after, byte for byte.
struct LiveMessage {
  std::string_view epoch;
  uint64_t offset = 0;
  std::string_view data;
};
std::string encode_live(std::string_view epoch, uint64_t offset, std::string_view data);
/// Errc::bad_request when the payload is not in that form (bad epoch, offset 0, no space).
base::Result<LiveMessage> decode_live(std::string_view payload);

/// The publish script's reply: [epoch, offset] (offset as an integer or decimal string).
base::Result<hub::PublishResult> decode_publish_reply(const Reply& r);

/// What a history read asked for (the decoder checks the reply against it).
struct ReadQuery {
  std::optional<hub::Cursor> since;
  size_t limit = hub::kNoLimit;  // 0: only the cursor
  uint64_t history_ttl_ms = 0;
  bool history_enabled = true;
};

/// Counts of what the decoder had to refuse, for logs and metrics.
struct ReadProblems {
  size_t malformed_entries = 0;  // a stream entry without data or time, or with a bad ID
};

/// The read script's reply: [epoch, top, now_ms, (id, data, time)...], entries ascending
/// after `since` or, without it, descending from the newest. Applies the history rules of the
/// memory engine: with `since`, recovered only when every publication after it up to the
/// limit (or the top) is present, contiguous, well-formed and not older than history_ttl;
/// otherwise no publication at all. Errc::bad_request when the reply's shape is wrong.
base::Result<hub::HistoryResult> decode_read_reply(const Reply& r, std::string_view channel,
                                                   const ReadQuery& q, ReadProblems* problems);

}  // namespace herald::cluster
