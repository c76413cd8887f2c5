#include "cluster/codec.h"

#include <algorithm>
#include <charconv>

#include "base/channel.h"
#include "base/shared_buffer.h"

namespace herald::cluster {

namespace {

constexpr size_t kMaxPrefixLength = 64;

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

/// An integer reply, or a string of decimal digits (Lua returns numbers as integers, Redis
/// hash fields as strings).
bool reply_u64(const Reply& r, uint64_t* out) {
  if (r.type == Reply::Type::integer) {
    if (r.integer < 0) return false;
    *out = uint64_t(r.integer);
    return true;
  }
  return r.is_string() && parse_u64(r.str, out);
}

/// "OFFSET-SEQ" -> OFFSET (herald writes SEQ 0; any sequence is read as its offset).
bool parse_entry_id(std::string_view id, uint64_t* offset) {
  size_t dash = id.find('-');
  uint64_t seq = 0;
  if (dash == std::string_view::npos || !parse_u64(id.substr(dash + 1), &seq)) return false;
  return parse_u64(id.substr(0, dash), offset) && *offset > 0;
}

struct Entry {
  uint64_t offset = 0;
  uint64_t time_ms = 0;
  const std::string* data = nullptr;
};

bool parse_entry(const Reply* e, Entry* out) {
  if (!e[0].is_string() || !parse_entry_id(e[0].str, &out->offset)) return false;
  if (!e[1].is_string() || !reply_u64(e[2], &out->time_ms)) return false;
  out->data = &e[1].str;
  return true;
}

hub::PubPtr make_pub(std::string_view channel, const std::string& epoch, const Entry& e) {
  hub::Payload p = payload_of(*e.data);
  return std::make_shared<const hub::Publication>(
      hub::Publication{hub::ChannelString(channel), epoch, e.offset, std::move(p.data), e.time_ms,
                       hub::PubKind::message, p.binary});
}

}  // namespace

std::string_view stored_form(const hub::Payload& payload, std::string* scratch) {
  if (!payload.binary) return payload.data.view();
  scratch->clear();
  scratch->reserve(payload.data.size() + 1);
  scratch->push_back(kBinaryMark);
  scratch->append(payload.data.view());
  return *scratch;
}

hub::Payload payload_of(std::string_view stored) {
  if (!stored.empty() && stored[0] == kBinaryMark)
    return hub::Payload::bytes(base::SharedBuffer::copy_of(stored.substr(1)));
  return base::SharedBuffer::copy_of(stored);
}

bool valid_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > kMaxPrefixLength) return false;
  return std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

ChannelKeys channel_keys(std::string_view prefix, std::string_view channel) {
  ChannelKeys k;
  k.feed.reserve(prefix.size() + channel.size() + 3);
  k.feed.append(prefix).append(":{").append(channel).append("}");
  k.meta = k.feed + ":m";
  k.stream = k.feed + ":s";
  return k;
}

std::string_view channel_of_feed(std::string_view prefix, std::string_view feed) {
  if (feed.size() < prefix.size() + 4 || feed.substr(0, prefix.size()) != prefix) return {};
  std::string_view rest = feed.substr(prefix.size());
  if (rest.substr(0, 2) != ":{" || rest.back() != '}') return {};
  std::string_view channel = rest.substr(2, rest.size() - 3);
  return base::valid_channel(channel) ? channel : std::string_view();
}

std::string encode_live(std::string_view epoch, uint64_t offset, std::string_view data) {
  std::string out;
  out.reserve(epoch.size() + data.size() + 22);
  base::append_cursor(out, epoch, offset);
  out += ' ';
  out.append(data);
  return out;
}

base::Result<LiveMessage> decode_live(std::string_view payload) {
  size_t colon = payload.find(':');
  if (colon == std::string_view::npos) return base::Errc::bad_request;
  size_t space = payload.find(' ', colon + 1);
  if (space == std::string_view::npos) return base::Errc::bad_request;
  LiveMessage m;
  m.epoch = payload.substr(0, colon);
  if (!base::valid_epoch(m.epoch)) return base::Errc::bad_request;
  if (!base::parse_offset(payload.substr(colon + 1, space - colon - 1), &m.offset) || m.offset == 0)
    return base::Errc::bad_request;
  m.data = payload.substr(space + 1);
  return m;
}

base::Result<hub::PublishResult> decode_publish_reply(const Reply& r) {
  if (!r.is_array() || r.elements.size() != 2) return base::Errc::bad_request;
  const Reply& epoch = r.elements[0];
  if (!epoch.is_string() || !base::valid_epoch(epoch.str)) return base::Errc::bad_request;
  hub::PublishResult out;
  if (!reply_u64(r.elements[1], &out.offset) || out.offset == 0) return base::Errc::bad_request;
  out.epoch = epoch.str;
  return out;
}

base::Result<hub::HistoryResult> decode_read_reply(const Reply& r, std::string_view channel,
                                                   const ReadQuery& q, ReadProblems* problems) {
  if (!r.is_array() || r.elements.size() < 3 || (r.elements.size() - 3) % 3 != 0)
    return base::Errc::bad_request;
  const Reply& epoch = r.elements[0];
  uint64_t top = 0, now = 0;
  if (!epoch.is_string() || !base::valid_epoch(epoch.str) || !reply_u64(r.elements[1], &top) ||
      !reply_u64(r.elements[2], &now))
    return base::Errc::bad_request;
  hub::HistoryResult out;
  out.cursor = hub::Cursor{epoch.str, top};
  size_t n = (r.elements.size() - 3) / 3;
  const Reply* entries = r.elements.data() + 3;
  // An entry is kept while time + ttl > now (the memory engine's rule).
  auto fresh = [&](const Entry& e) { return e.time_ms + q.history_ttl_ms > now; };

  if (!q.since) {
    // Newest first: keep the unbroken run of good entries from the top down.
    if (!q.history_enabled || q.limit == 0) return out;
    uint64_t expect = top;
    for (size_t i = 0; i < n && out.publications.size() < q.limit; ++i) {
      Entry e;
      if (!parse_entry(entries + 3 * i, &e)) {
        if (problems) problems->malformed_entries++;
        break;
      }
      if (e.offset != expect || !fresh(e)) break;
      out.publications.push_back(make_pub(channel, epoch.str, e));
      --expect;
    }
    std::reverse(out.publications.begin(), out.publications.end());
    return out;
  }

  const hub::Cursor& since = *q.since;
  if (since.epoch != epoch.str || since.offset > top) return out;  // another stream / past end
  if (since.offset == top) {
    out.recovered = true;
    return out;
  }
  if (!q.history_enabled) return out;
  // Every publication after `since`, contiguous, up to the limit or the top: else nothing.
  // A cursor-only read (limit 0) still checks that the next publication is there.
  size_t want = q.limit == 0 ? 1 : q.limit;
  uint64_t expect = since.offset + 1;
  for (size_t i = 0; i < n && out.publications.size() < want; ++i) {
    Entry e;
    if (!parse_entry(entries + 3 * i, &e)) {
      if (problems) problems->malformed_entries++;
      out.publications.clear();
      return out;
    }
    if (e.offset != expect || !fresh(e) || e.offset > top) {
      out.publications.clear();
      return out;
    }
    out.publications.push_back(make_pub(channel, epoch.str, e));
    ++expect;
  }
  bool complete = out.publications.size() == want || expect == top + 1;
  if (out.publications.empty() || !complete) {
    out.publications.clear();
    return out;
  }
  out.recovered = true;
  if (q.limit == 0) out.publications.clear();
  return out;
}

}  // namespace herald::cluster
