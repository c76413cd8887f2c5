#include "server/api.h"

#include <memory>
#include <string>

#include "base/shared_buffer.h"
#include "http/query.h"
#include "proto/channel.h"
#include "proto/cursor.h"
#include "proto/errors.h"
#include "proto/json.h"

namespace herald::server::api {

namespace {

// A held request's answer comes from an asynchronous hub call; the callback finds the session
// with HttpSession::resolve(ref), which is nullptr when the connection closed first (the
// answer is dropped). The ref names the request, so pipelined requests each get their own.

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void answer_proto_error(http::HttpSession& s, const proto::ProtoError& e) {
  s.respond_error(e.code, e.message);
}

int status_of(std::error_code ec) {
  if (ec == base::Errc::bad_channel || ec == base::Errc::bad_cursor ||
      ec == base::Errc::bad_request)
    return 400;
  if (ec == base::Errc::unavailable) return 503;
  return 500;
}

bool get_channel(http::HttpSession& s, const http::QueryParams& q, std::string* out) {
  bool found = false;
  std::string_view ch = q.get("channel", &found);
  if (!found || ch.empty()) {
    s.respond_error(400, "missing channel");
    return false;
  }
  if (!proto::valid_channel(ch)) {
    s.respond_error(400, "bad channel name");
    return false;
  }
  *out = std::string(ch);
  return true;
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

}  // namespace

bool authorize(http::HttpSession& s, const http::Request& req) {
  const std::string& key = s.context().settings->api_key;
  if (key.empty()) return true;
  std::string_view auth = req.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.substr(0, kBearer.size()) == kBearer &&
      constant_time_equal(auth.substr(kBearer.size()), key))
    return true;
  static const http::Header kChallenge[] = {{"WWW-Authenticate", "Bearer"}};
  s.respond_error(401, "unauthorized: API key required", kChallenge);
  return false;
}

void publish(http::HttpSession& s, http::Request& req) {
  proto::PublishView body;
  proto::ProtoError err;
  if (!proto::parse_publish_view(req.body, &body, &err)) return answer_proto_error(s, err);
  ++s.context().metrics->messages_in;
  // The callback captures 8 trivially copyable bytes: std::function keeps it inline.
  http::HeldRef held = s.hold();
  s.context().hub->publish(body.channel, base::SharedBuffer::copy_of(body.data),
                           [held](base::Result<hub::PublishResult> r) {
                             http::HttpSession* session = http::HttpSession::resolve(held);
                             if (!session) return;
                             if (!r.ok())
                               return session->respond_error(held, status_of(r.error()),
                                                             r.error().message());
                             thread_local std::string out;
                             out.clear();
                             proto::encode_publish_result_object(out, r->offset, r->epoch);
                             session->respond_json(held, 200, out);
                           });
}

void broadcast(http::HttpSession& s, http::Request& req) {
  proto::BroadcastBody body;
  proto::ProtoError err;
  if (!proto::parse_broadcast_body(req.body, &body, &err)) return answer_proto_error(s, err);
  ++s.context().metrics->messages_in;
  // One publication per channel; the answer lists each channel's offset in the order given.
  struct State {
    http::HeldRef held;
    std::vector<std::string> channels;
    std::vector<hub::PublishResult> results;
    std::vector<std::string> errors;
    size_t left;
  };
  auto st = std::make_shared<State>();
  st->held = s.hold();
  st->channels = std::move(body.channels);
  st->results.resize(st->channels.size());
  st->errors.resize(st->channels.size());
  st->left = st->channels.size();
  auto data = base::SharedBuffer::copy_of(body.data);
  for (size_t i = 0; i < st->channels.size(); ++i) {
    s.context().hub->publish(st->channels[i], data, [st, i](base::Result<hub::PublishResult> r) {
      if (r.ok()) {
        st->results[i] = std::move(r.value());
      } else {
        st->errors[i] = r.error().message();
      }
      if (--st->left > 0) return;
      http::HttpSession* session = http::HttpSession::resolve(st->held);
      if (!session) return;
      std::string out = "{\"results\":[";
      for (size_t j = 0; j < st->channels.size(); ++j) {
        if (j) out += ',';
        out += "{\"channel\":";
        proto::append_json_string(out, st->channels[j]);
        if (!st->errors[j].empty()) {
          out += ",\"error\":";
          proto::append_json_string(out, st->errors[j]);
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

void history(http::HttpSession& s, http::Request& req) {
  http::QueryParams q;
  if (!parse_query(s, req, &q)) return;
  std::string channel;
  if (!get_channel(s, q, &channel)) return;
  bool has_since = false;
  std::string_view since = q.get("since", &has_since);
  if (has_since && !proto::parse_cursor(since).ok()) return s.respond_error(400, "bad cursor");
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
  std::optional<std::string> since_opt;
  if (has_since) since_opt = std::string(since);
  s.context().hub->history(
      channel, since_opt, limit, [p, has_since](base::Result<hub::HistoryResult> r) {
        http::HttpSession* session = http::HttpSession::resolve(p);
        if (!session) return;
        if (!r.ok()) return session->respond_error(p, status_of(r.error()), r.error().message());
        std::string out = "{\"publications\":[";
        bool first = true;
        for (auto& pub : r->publications) {
          out += first ? "{\"offset\":" : ",{\"offset\":";
          first = false;
          proto::append_uint(out, pub->offset);
          out += ",\"data\":";
          out += pub->data.view();
          out += '}';
        }
        out += "],\"cursor\":";
        proto::append_json_string(out, r->cursor.str());
        if (has_since) out += r->recovered ? ",\"recovered\":true" : ",\"recovered\":false";
        out += '}';
        session->respond_json(p, 200, out);
      });
}

void channels(http::HttpSession& s, http::Request&) {
  http::HeldRef p = s.hold();
  s.context().hub->channels([p](std::vector<hub::ChannelInfo> list) {
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

void presence(http::HttpSession& s, http::Request& req) {
  http::QueryParams q;
  if (!parse_query(s, req, &q)) return;
  std::string channel;
  if (!get_channel(s, q, &channel)) return;
  http::HeldRef p = s.hold();
  s.context().hub->presence(channel, [p](hub::Presence pr) {
    http::HttpSession* session = http::HttpSession::resolve(p);
    if (!session) return;
    std::string out = "{\"connections\":";
    proto::append_uint(out, pr.connections);
    out += ",\"clients\":[";
    for (size_t i = 0; i < pr.client_ids.size(); ++i) {
      if (i) out += ',';
      proto::append_json_string(out, pr.client_ids[i]);
    }
    out += "]}";
    session->respond_json(p, 200, out);
  });
}

}  // namespace herald::server::api
