#include "server/api.h"

#include <memory>
#include <string>

#include "base/shared_buffer.h"
#include "http_codec/query.h"
#include "proto/channel.h"
#include "proto/cursor.h"
#include "proto/errors.h"
#include "proto/json.h"
#include "server/server.h"

namespace herald::server::api {

namespace {

// A held request's answer comes from an asynchronous hub call; the callback finds the session
// with HttpSession::resolve(ref), which is nullptr when the connection closed first (the
// answer is dropped). The ref names the request, so pipelined requests each get their own.

void answer_proto_error(http::HttpSession& s, const proto::ProtoError& e) {
  s.respond_error(e.code, e.message);
}

/// Answers an access outcome (refusal or hub error) in the API's error shape.
void answer_outcome(http::HttpSession& s, access::Outcome o) {
  const access::Answer& a = access::answer(o);
  const http::Header challenge[] = {{"WWW-Authenticate", access::kBearerChallenge}};
  s.respond_error(a.status, a.message, a.challenge ? challenge : std::span<const http::Header>{});
}

void answer_outcome(http::HeldRef ref, access::Outcome o) {
  http::HttpSession* s = http::HttpSession::resolve(ref);
  if (!s) return;
  const access::Answer& a = access::answer(o);
  const http::Header challenge[] = {{"WWW-Authenticate", access::kBearerChallenge}};
  s->respond_error(ref, a.status, a.message,
                   a.challenge ? challenge : std::span<const http::Header>{});
}

// The ?channel= parameter, judged once: `*store` keeps its bytes and `*name` views them.
bool get_channel(http::HttpSession& s, const http::QueryParams& q, std::string* store,
                 base::ChannelName* name) {
  bool found = false;
  std::string_view ch = q.get("channel", &found);
  if (!found || ch.empty()) {
    s.respond_error(400, "missing channel");
    return false;
  }
  *store = std::string(ch);
  *name = base::ChannelName::check(*store);
  if (name->empty()) {
    answer_outcome(s, access::Outcome::bad_channel);
    return false;
  }
  return true;
}

bool get_channel(http::HttpSession& s, const http::QueryParams& q, std::string* out) {
  base::ChannelName name;
  return get_channel(s, q, out, &name);
}

bool parse_query(http::HttpSession& s, const http::Request& req, http::QueryParams* out) {
  auto q = http::QueryParams::parse(req.query);
  if (!q.ok()) {
    s.respond_error(400, "bad query string");
    return false;
  }
  *out = std::move(q.value());
  return true;
}

// Whether the body is raw bytes to publish: Content-Type application/octet-stream (any case,
// parameters ignored).
bool octet_stream(const http::Request& req) {
  std::string_view type = req.header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kOctetStream = "application/octet-stream";
  if (type.size() != kOctetStream.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c != kOctetStream[i]) return false;
  }
  return true;
}

// A publish's channel and payload: from a JSON body, or, with ?channel=, the body's bytes.
// The query decides which, so a JSON publish (no query) pays for no header lookup; an
// application/octet-stream body without ?channel= is told what it lacks.
bool read_publish(http::HttpSession& s, http::Request& req, std::string* channel_store,
                  proto::PublishView* body) {
  if (req.query.empty()) {
    proto::ProtoError err;
    if (proto::parse_publish_view(req.body, body, &err)) return true;
    if (octet_stream(req)) {
      s.respond_error(400, "missing channel");
    } else {
      answer_proto_error(s, err);
    }
    return false;
  }
  if (!octet_stream(req)) {
    s.respond_error(400, "channel parameter is for application/octet-stream bodies");
    return false;
  }
  http::QueryParams q;
  base::ChannelName name;
  if (!parse_query(s, req, &q) || !get_channel(s, q, channel_store, &name)) return false;
  *body = proto::PublishView{name, req.body, true};
  return true;
}

}  // namespace

void publish(http::HttpSession& s, http::Request& req, access::Gate& gate, access::Client& client) {
  proto::PublishView body;
  std::string channel;  // an octet-stream publish's ?channel= (decoded)
  if (!read_publish(s, req, &channel, &body)) return;
  ++s.context().metrics->messages_in;
  base::SharedBuffer data = base::SharedBuffer::copy_of(body.data);
  // The callback captures 8 trivially copyable bytes: std::function keeps it inline.
  http::HeldRef held = s.hold();
  // An anonymous HTTP publisher is one request: its bucket starts full (users' buckets are
  // shared by all their requests and connections).
  access::RateBucket bucket;
  gate.publish(client, bucket, body.channel,
               body.binary ? hub::Payload::bytes(std::move(data)) : std::move(data),
               s.context().loop->now_ms(), [held](base::Result<hub::PublishResult> r) {
                 if (!r) return answer_outcome(held, access::outcome_of(r.error()));
                 http::HttpSession* session = http::HttpSession::resolve(held);
                 if (!session) return;
                 thread_local std::string out;
                 out.clear();
                 proto::encode_publish_result_object(out, r->offset, r->epoch);
                 session->respond_json(held, 200, out);
               });
}

void broadcast(http::HttpSession& s, http::Request& req, access::Gate& gate,
               access::Client& client) {
  proto::BroadcastBody body;
  proto::ProtoError err;
  if (!proto::parse_broadcast_body(req.body, &body, &err)) return answer_proto_error(s, err);
  ++s.context().metrics->messages_in;
  // One publication per channel; the answer lists each channel's offset (or its error) in the
  // order given.
  struct State {
    http::HeldRef held;
    std::vector<std::string> channels;
    std::vector<hub::PublishResult> results;
    std::vector<access::Outcome> outcomes;
    size_t left;
  };
  auto st = std::make_shared<State>();
  st->held = s.hold();
  st->channels = std::move(body.channels);
  st->results.resize(st->channels.size());
  st->outcomes.resize(st->channels.size(), access::Outcome::ok);
  st->left = st->channels.size();
  hub::Payload data = base::SharedBuffer::copy_of(body.data);
  data.binary = body.binary;
  uint64_t now_ms = s.context().loop->now_ms();
  access::RateBucket bucket;  // one request (see publish)
  for (size_t i = 0; i < st->channels.size(); ++i) {
    gate.publish(client, bucket, base::ChannelName::check(st->channels[i]), data, now_ms,
                 [st, i](base::Result<hub::PublishResult> r) {
                   st->outcomes[i] = access::outcome_of(r.error());
                   if (r) st->results[i] = std::move(r.value());
                   if (--st->left > 0) return;
                   http::HttpSession* session = http::HttpSession::resolve(st->held);
                   if (!session) return;
                   std::string out = "{\"results\":[";
                   for (size_t j = 0; j < st->channels.size(); ++j) {
                     if (j) out += ',';
                     out += "{\"channel\":";
                     proto::append_json_string(out, st->channels[j]);
                     if (st->outcomes[j] != access::Outcome::ok) {
                       out += ",\"error\":";
                       proto::append_json_string(out, access::answer(st->outcomes[j]).message);
                     } else {
                       out += ",\"offset\":";
                       proto::append_uint(out, st->results[j].offset);
                       out += ",\"epoch\":";
                       proto::append_json_string(out, st->results[j].epoch);
                     }
                     out += '}';
                   }
                   out += "]}";
                   session->respond_json(st->held, 200, out);
                 });
  }
}

void history(http::HttpSession& s, http::Request& req, access::Gate& gate, access::Client& client) {
  http::QueryParams q;
  if (!parse_query(s, req, &q)) return;
  std::string channel;
  if (!get_channel(s, q, &channel)) return;
  bool has_since = false;
  std::string_view since_text = q.get("since", &has_since);
  std::optional<base::Cursor> since;
  if (has_since) {
    since = base::Cursor::parse(since_text);
    if (!since) return answer_outcome(s, access::Outcome::bad_cursor);
  }
  size_t limit = hub::kNoLimit;
  bool has_limit = false;
  std::string_view lim = q.get("limit", &has_limit);
  if (has_limit) {
    size_t v = 0;
    for (char c : lim) {
      if (c < '0' || c > '9' || v > 1'000'000) return s.respond_error(400, "bad limit");
      v = v * 10 + size_t(c - '0');
    }
    if (lim.empty()) return s.respond_error(400, "bad limit");
    limit = v;
  }
  http::HeldRef p = s.hold();
  gate.history(client, channel, std::move(since), limit,
               [p, has_since](access::Outcome o, hub::HistoryResult r) {
                 if (o != access::Outcome::ok) return answer_outcome(p, o);
                 http::HttpSession* session = http::HttpSession::resolve(p);
                 if (!session) return;
                 std::string out = "{\"publications\":[";
                 bool first = true;
                 for (auto& pub : r.publications) {
                   if (!first) out += ',';
                   first = false;
                   proto::append_history_entry(out, {pub->offset, pub->data.view(), pub->binary});
                 }
                 out += "],\"cursor\":";
                 proto::append_json_string(out, r.cursor.str());
                 if (has_since) out += r.recovered ? ",\"recovered\":true" : ",\"recovered\":false";
                 out += '}';
                 session->respond_json(p, 200, out);
               });
}

void channels(http::HttpSession& s, http::Request&, access::Gate& gate, access::Client& client) {
  http::HeldRef p = s.hold();
  gate.channels(client, [p](access::Outcome o, std::vector<hub::ChannelInfo> list) {
    if (o != access::Outcome::ok) return answer_outcome(p, o);
    http::HttpSession* session = http::HttpSession::resolve(p);
    if (!session) return;
    std::string out = "{\"channels\":[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      proto::append_json_string(out, list[i].name);
      out += ",\"subscribers\":";
      proto::append_uint(out, list[i].subscribers);
      out += '}';
    }
    out += "]}";
    session->respond_json(p, 200, out);
  });
}

void presence(http::HttpSession& s, http::Request& req, access::Gate& gate,
              access::Client& client) {
  http::QueryParams q;
  if (!parse_query(s, req, &q)) return;
  std::string channel;
  if (!get_channel(s, q, &channel)) return;
  http::HeldRef p = s.hold();
  gate.presence(client, channel, [p](access::Outcome o, hub::Presence pr) {
    if (o != access::Outcome::ok) return answer_outcome(p, o);
    http::HttpSession* session = http::HttpSession::resolve(p);
    if (!session) return;
    std::vector<proto::PresenceView> views;
    views.reserve(pr.clients.size());
    for (const hub::PresenceEntry& e : pr.clients) views.push_back({e.client, e.user, e.info});
    std::string out;
    proto::encode_presence_object(out, pr.connections, pr.users, views);
    session->respond_json(p, 200, out);
  });
}

void disconnect(http::HttpSession& s, http::Request& req, Server& server, access::Client& client) {
  // Only the operator ends other people's connections; a user token is not enough.
  if (!client.identity || !client.identity->admin())
    return answer_outcome(s, access::Outcome::forbidden);
  proto::DisconnectBody body;
  proto::ProtoError err;
  if (!proto::parse_disconnect_body(req.body, &body, &err)) return answer_proto_error(s, err);
  http::HeldRef held = s.hold();
  access::Outcome why =
      body.reconnect ? access::Outcome::disconnected : access::Outcome::disconnected_final;
  server.disconnect(body.user, body.client, why, [held](size_t n) {
    http::HttpSession* session = http::HttpSession::resolve(held);
    if (!session) return;
    std::string out = "{\"disconnected\":";
    proto::append_uint(out, n);
    out += '}';
    session->respond_json(held, 200, out);
  });
}

}  // namespace herald::server::api
