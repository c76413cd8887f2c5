// fuzz-links: cluster hub net
// What the Redis engine reads from Redis, on arbitrary bytes: the RESP reader (hiredis's parser
// with herald's bounded reply builder), then every decoder a reply can reach (publish and read
// script replies -> publications, live pub/sub messages, CLUSTER SLOTS, MOVED/ASK). Never a
// crash, and what decodes keeps the engine's invariants (contiguous offsets, one epoch, a live
// message that re-encodes to the same bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/codec.h"
#include "cluster/reply.h"
#include "cluster/slots.h"

using namespace herald;
using namespace herald::cluster;

namespace {

// A smaller element budget than the engine's keeps each input's memory small; the bound
// itself is what is exercised.
constexpr size_t kFuzzMaxElements = 65536;

void check_history(const hub::HistoryResult& h, const ReadQuery& q) {
  uint64_t prev = 0;
  for (const hub::PubPtr& p : h.publications) {
    if (p->epoch != h.cursor.epoch || p->offset == 0 || p->offset > h.cursor.offset) abort();
    if (prev != 0 && p->offset != prev + 1) abort();  // contiguous, ascending
    prev = p->offset;
  }
  if (q.since) {
    if (!h.recovered && !h.publications.empty()) abort();  // never a partial replay
    if (!h.publications.empty() && h.publications.front()->offset != q.since->offset + 1) abort();
    if (h.publications.size() > q.limit) abort();
  }
}

void decode_all(const Reply& r) {
  (void)decode_publish_reply(r);
  (void)parse_redirect(r);
  net::Address asked = net::Address::parse("127.0.0.1:7000").value();
  if (auto map = parse_cluster_slots(r, asked); map.ok()) {
    for (size_t i = 1; i < map->ranges.size(); ++i)
      if (map->ranges[i].first <= map->ranges[i - 1].last) abort();
    (void)map->complete();
    (void)map->master_of(0);
  }
  const ReadQuery queries[] = {
      {std::nullopt, hub::kNoLimit, 300'000, true},
      {std::nullopt, 2, 0, true},
      {hub::Cursor{"E", 3}, hub::kNoLimit, 300'000, true},
      {hub::Cursor{"E", 0}, 2, 300'000, true},
      {hub::Cursor{"E", 1}, 0, 300'000, false},
  };
  for (const ReadQuery& q : queries) {
    ReadProblems problems;
    if (auto h = decode_read_reply(r, "c", q, &problems); h.ok()) check_history(*h, q);
  }
  // A pub/sub push: ["message", channel, payload].
  if (r.is_array() && r.elements.size() == 3 && r.elements[1].is_string()) {
    (void)channel_of_feed("herald", r.elements[1].str);
    if (r.elements[2].is_string()) (void)decode_live(r.elements[2].str);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);

  if (auto m = decode_live(input); m.ok()) {
    if (encode_live(m->epoch, m->offset, m->data) != input) abort();  // the form is canonical
  }
  (void)channel_of_feed("herald", input);

  // The stream in two pieces (a reply split across reads), then whatever replies it holds.
  ReplyReader reader(kFuzzMaxElements);
  size_t cut = size / 2;
  reader.feed(input.substr(0, cut));
  reader.feed(input.substr(cut));
  for (int i = 0; i < 64; ++i) {
    std::unique_ptr<Reply> r;
    if (reader.next(r) != ReplyReader::Status::ok) break;
    (void)r->describe();
    decode_all(*r);
  }
  return 0;
}
