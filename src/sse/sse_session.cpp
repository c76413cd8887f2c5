#include "sse/sse_session.h"

#include <algorithm>
#include <string>
#include <utility>

#include "http_codec/query.h"
#include "http_codec/response.h"
#include "hub/replay_forms.h"
#include "proto/json.h"
#include "proto/sse.h"
#include "sse/poll.h"
#include "sse/transports.h"

namespace herald::sse {

namespace {
// The start of a stream (head, retry, id line) fits this without growing.
constexpr size_t kStreamHeadReserve = 384;
constexpr std::string_view kReconnectEvent =
    "event: reconnect\ndata: {\"reason\":\"shutdown\"}\n\n";
constexpr std::string_view kDisconnectedEvent =
    "event: reconnect\ndata: {\"reason\":\"disconnected\"}\n\n";
constexpr std::string_view kDisconnectedFinalEvent =
    "event: disconnect\ndata: {\"reason\":\"disconnected\"}\n\n";
constexpr std::string_view kTokenExpiredEvent =
    "event: reconnect\ndata: {\"reason\":\"token expired\"}\n\n";

base::SharedBuffer make_sse_event(const hub::Publication& pub) {
  return build_sse_event(pub);
}
}  // namespace

// One per SSE stream: within a 176-byte slab slot (docs/benchmarks.md §5).
static_assert(sizeof(SseSession) <= 168, "sse::SseSession grew past 168 bytes");

SseSession::SseSession(http::Context& ctx, access::Gate& gate, net::Connection& conn,
                       access::Client client, ChannelRequest req, std::string allow_origin)
    : ctx_(ctx),
      gate_(gate),
      conn_(conn),
      client_(std::move(client)),
      start_(std::make_unique<StartState>(std::move(req.channels))) {
  // The client id: presence, POST /api/disconnect, and named in backend hook requests.
  client_.id = access::ClientId::next(ctx.loop->index());
  start_->since = std::move(req.since);
  start_->allow_origin = std::move(allow_origin);
  start_->answers.resize(start_->cursor.size());
  conn_.set_output_limit(ctx_.settings->max_output_bytes);
}

SseSession::~SseSession() {
  // Normally on_close ended it (and logged). A session deleted with its connection's members
  // already gone cannot read their counters: no conn_close line then.
  opened_ = false;
  end();
  ctx_.loop->timers().cancel(*this);  // end() did, unless the session had ended before
}

void SseSession::start(std::shared_ptr<const http::AccessRecord> access) {
  start_->access = std::move(access);
  opened_ms_ = ctx_.loop->now_ms();
  opened_ = true;
  access::log_conn_open(client_, base::Transport::sse);
  if (!gate_.admit_user(client_.identity.get()))
    return fail_before_stream(access::Outcome::limit_reached);
  client_.user_counted = true;
  gate_.join(this);
  if (int64_t left = client_.ms_until_expiry(); left >= 0) {
    if (left == 0) return fail_before_stream(access::Outcome::token_expired);
    arm_timer();
  }
  start_->waiting = start_->cursor.size();
  for (size_t i = 0; i < start_->cursor.size() && !ended_; ++i) {
    // The gate may answer inside the call (a refusal); on_subscribed copes.
    gate_.subscribe(client_, this, start_->cursor.channel(i), start_->since[i],
                    [this, i](access::Outcome o, hub::SubscribeResult r) {
                      on_subscribed(i, o, std::move(r));
                    });
  }
}

void SseSession::on_subscribed(size_t index, access::Outcome o, hub::SubscribeResult r) {
  if (ended_) return;
  if (o != access::Outcome::ok) return fail_before_stream(o);
  start_->answers[index] = std::move(r);
  if (--start_->waiting == 0) begin_stream();
}

void SseSession::fail_before_stream(access::Outcome o) {
  const access::Answer& a = access::answer(o);
  std::string body;
  proto::encode_error(body, false, 0, a.status, a.message);
  http::Header headers[2];
  size_t n = 0;
  if (a.challenge) headers[n++] = {"WWW-Authenticate", access::kBearerChallenge};
  if (start_ && !start_->allow_origin.empty())
    headers[n++] = {"Access-Control-Allow-Origin", start_->allow_origin};
  http::ResponseHead head;
  head.status = a.status;
  head.content_type = "application/json";
  head.date = ctx_.date->value();
  head.connection = http::ConnectionHeader::close;
  head.headers = std::span<const http::Header>(headers, n);
  std::string out;
  http::append_response(out, head, body);
  if (start_ && start_->access) http::log_access(*start_->access, a.status, out.size());
  ++ctx_.metrics->http_errors;
  end(access::close_reason_of(o));
  conn_.send(out);
  conn_.close();
}

void SseSession::begin_stream() {
  streaming_ = true;
  ++ctx_.metrics->connections_open[int(base::Transport::sse)];
  counted_ = true;

  http::Header headers[3] = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}, {}};
  size_t n = 2;
  const StartState& st = *start_;
  StreamCursor& cursor = start_->cursor;
  if (!st.allow_origin.empty()) headers[n++] = {"Access-Control-Allow-Origin", st.allow_origin};
  http::ResponseHead head;
  head.status = 200;
  head.content_type = "text/event-stream";
  head.date = ctx_.date->value();
  head.headers = std::span<const http::Header>(headers, n);
  std::string out;
  out.reserve(kStreamHeadReserve);
  http::append_stream_head(out, head);
  proto::append_sse_retry(out, ctx_.settings->sse_retry_ms);
  if (st.access) http::log_access(*st.access, 200, out.size());

  // Every channel's position before the first event: a recovered channel stands at the
  // client's cursor (its replay moves it on), any other one at the stream's current end.
  // Replay ids must not claim a channel that is replayed later in the stream.
  for (size_t i = 0; i < cursor.size(); ++i) {
    const hub::SubscribeResult& a = *st.answers[i];
    if (st.since[i] && a.recovered) {
      cursor.set(i, st.since[i]->epoch, st.since[i]->offset);
    } else {
      cursor.set(i, a.cursor.epoch, a.cursor.offset);
    }
  }
  for (size_t i = 0; i < cursor.size(); ++i) {
    const hub::SubscribeResult& a = *st.answers[i];
    if (st.since[i] && !a.recovered) {
      proto::append_sse_recovery_event(out, cursor.channel(i),
                                       proto::Cursor{a.cursor.epoch, a.cursor.offset});
    }
  }
  id_current_ = false;
  backlog_ = true;
  if (nothing_to_replay(st)) {
    // The common start: the head, the retry line and the id line go out as one write from
    // one buffer. Queued apart, they took a slice array and three buffers per stream, and
    // after a connect storm those handshake temporaries were holes between the streams that
    // stay (bench/memory/run.py --shapes storm).
    for (size_t i = 0; i < cursor.size(); ++i)
      cursor.set(i, st.answers[i]->cursor.epoch, st.answers[i]->cursor.offset);
    finish_backlog(out);
    conn_.send(out);
    return;
  }
  conn_.send(out);
  pump();
}

bool SseSession::nothing_to_replay(const StartState& st) {
  if (!st.held.empty()) return false;
  for (const auto& a : st.answers)
    if (!a->replay.empty()) return false;
  return true;
}

// Why paced: a replay may be far larger than max_output_bytes (thousands of events, each with
// a multi-channel id). Queued whole, it would sit in memory and make every reader look slow;
// queued half a limit at a time, it costs the reader's pace and nothing more, and the
// overflow verdict (net::Connection, after EAGAIN) keeps meaning "this reader is behind".
void SseSession::pump() {
  const size_t budget = ctx_.settings->max_output_bytes / 2;
  while (backlog_ && !ended_) {
    if (conn_.pending_bytes() >= budget) {
      conn_.notify_when_drained();
      return;
    }
    StartState& st = *start_;
    if (st.replay_channel < st.cursor.size()) {
      const hub::SubscribeResult& a = *st.answers[st.replay_channel];
      if (st.replay_index < a.replay.size()) {
        const hub::PubPtr& pub = a.replay[st.replay_index++];
        write_event(st.replay_channel, *pub,
                    hub::ReplayForms::form(pub, hub::WireForm::sse_event, make_sse_event));
        continue;
      }
      // A replay reaches the position of the answer, which may be past the last replayed
      // publication only if the engine trimmed nothing; set it so ids never go back.
      st.cursor.set(st.replay_channel, a.cursor.epoch, a.cursor.offset);
      ++st.replay_channel;
      st.replay_index = 0;
      continue;
    }
    if (!st.held.empty()) {
      Held h = std::move(st.held.front());
      st.held.pop_front();
      st.held_bytes -= h.event.size();
      write_event(h.index, *h.pub, h.event);
      continue;
    }
    std::string id;
    finish_backlog(id);
    if (!id.empty()) conn_.send(id);
  }
}

void SseSession::finish_backlog(std::string& out) {
  backlog_ = false;
  if (!id_current_) {
    out += "id: ";
    out += start_->cursor.str();
    out += "\n\n";
    id_current_ = true;
  }
  if (start_->cursor.size() > 1) many_ = std::make_unique<StreamCursor>(std::move(start_->cursor));
  start_.reset();
  arm_timer();  // the heartbeats begin
}

void SseSession::on_drained(net::Connection&) {
  if (backlog_) pump();
}

void SseSession::on_output_overflow(net::Connection&) {
  evict();
}

void SseSession::evict() {
  if (ended_) return;
  ++ctx_.metrics->slow_consumer_evictions;
  ++ctx_.metrics->drops;
  end(access::CloseReason::slow_consumer);
  // Graceful rather than a reset: what the kernel already accepted reaches the client (it
  // keeps every whole event and resumes from the last id); the queue behind it is dropped.
  conn_.close_dropping_output();
}

// One timer entry, two deadlines: the next heartbeat (once the backlog is written) and the
// token's expiry (identities that expire); it is armed for the sooner.
void SseSession::arm_timer() {
  uint64_t delay = heartbeats() ? ctx_.settings->sse_heartbeat_ms : UINT64_MAX;
  if (int64_t left = client_.ms_until_expiry(); left >= 0) delay = std::min(delay, uint64_t(left));
  if (delay != UINT64_MAX) ctx_.loop->timers().arm(*this, delay);
}

// Not expired yet, the deadline was the heartbeat's (or the expiry's a little early, by the
// wall clock: one comment line more is harmless).
void SseSession::on_timer() {
  if (ended_) return;
  if (client_.ms_until_expiry() == 0) return expire();
  if (heartbeats()) conn_.send(std::string_view(": ping\n\n"));
  arm_timer();
}

size_t SseSession::index_of(std::string_view channel) const {
  const StreamCursor* c = cursor();
  if (!c) return 0;  // a one-channel stream is delivered its channel's publications only
  size_t i = c->index_of(channel);
  return i == c->size() ? std::string_view::npos : i;
}

void SseSession::deliver(const hub::Delivery& d) {
  if (ended_) return;
  size_t i = index_of(d.pub().channel);
  if (i == std::string_view::npos) return;
  const base::SharedBuffer& event =
      d.form(hub::WireForm::sse_event, [](const hub::Publication& p) { return make_sse_event(p); });
  if (d.pub().is_event()) {
    // Join/leave: not part of the backlog's order (they carry no offset), never slow anyone.
    if (start_ || conn_.output_full()) return;
    conn_.send(event);
    ++ctx_.metrics->messages_out;
    return;
  }
  if (start_) {
    // Behind the replay, in order. A reader that falls a whole output limit behind while
    // the backlog is written is a slow consumer like any other.
    start_->held_bytes += event.size();
    if (start_->held_bytes > ctx_.settings->max_output_bytes) return evict();
    start_->held.push_back(Held{i, d.pub_ptr(), event});
    return;
  }
  // The overflow verdict waits for a flush; a burst within one iteration stops at the cap.
  if (conn_.output_full()) return evict();
  write_event(i, d.pub(), event);
}

void SseSession::on_stream_reset(std::string_view channel, const hub::Cursor& now) {
  if (ended_) return;
  size_t i = index_of(channel);
  if (i == std::string_view::npos) return;
  // While its start is still being written, a reconnect gives the same answer more simply:
  // the browser comes back with its Last-Event-ID and is told recovered: false.
  if (start_) return drain();
  std::string out;
  proto::append_sse_recovery_event(out, channel, proto::Cursor{now.epoch, now.offset});
  out += "id: ";
  if (many_) {
    many_->set(i, now.epoch, now.offset);
    out += many_->str();
  } else {
    out += proto::format_cursor(proto::Cursor{now.epoch, now.offset});
  }
  out += "\n\n";
  id_current_ = true;
  if (conn_.output_full()) return evict();
  conn_.send(out);
}

void SseSession::write_event(size_t index, const hub::Publication& pub,
                             const base::SharedBuffer& event) {
  StreamCursor* cursor = this->cursor();
  if (cursor) cursor->set(index, pub.epoch, pub.offset);
  if (!cursor || cursor->size() == 1) {
    // The shared form already ends with this channel's "id: E:N": one slice, no copy.
    conn_.send(event);
  } else {
    conn_.send(event, 0, sse_data_part_size(event.view()));
    std::string id = "id: ";
    id += cursor->str();
    id += "\n\n";
    conn_.send(id);
  }
  id_current_ = true;
  ++ctx_.metrics->messages_out;
}

// The token the stream was opened with expired: the stream ends with `event: reconnect` (an
// EventSource reconnects by itself, and the page gives it a fresh ?token=); before the stream
// began, the request is answered 401 instead.
void SseSession::expire() {
  if (ended_) return;
  ++ctx_.metrics->tokens_expired_live;
  if (!streaming_) return fail_before_stream(access::Outcome::token_expired);
  conn_.send(kTokenExpiredEvent);
  end(access::CloseReason::token_expired);
  conn_.close();
}

void SseSession::drain() {
  if (ended_) return;
  if (streaming_) conn_.send(kReconnectEvent);
  end(access::CloseReason::drain);
  conn_.close();
}

void SseSession::disconnect(access::Outcome o) {
  if (ended_) return;
  if (!streaming_) return fail_before_stream(o);
  conn_.send(o == access::Outcome::disconnected_final ? kDisconnectedFinalEvent
                                                      : kDisconnectedEvent);
  end(access::close_reason_of(o));
  conn_.close();
}

void SseSession::end(access::CloseReason why) {
  if (ended_) return;
  ended_ = true;
  if (opened_) {
    // The one place every way of ending goes through (on_close included: the client left).
    const net::ConnectionStats& st = conn_.stats();
    access::log_conn_close(client_, base::Transport::sse, why, ctx_.loop->now_ms() - opened_ms_,
                           st.bytes_in, st.bytes_out);
  }
  gate_.leave(this);
  ctx_.loop->timers().cancel(*this);
  if (client_.user_counted) gate_.release_user(client_.identity.get());
  client_.user_counted = false;
  gate_.unsubscribe_all(this);
  // The start state itself may be in use up the stack (pump); it goes with the session.
  if (start_) {
    start_->held.clear();
    start_->held_bytes = 0;
  }
  backlog_ = false;
  if (counted_) {
    --ctx_.metrics->connections_open[int(base::Transport::sse)];
    counted_ = false;
  }
}

void SseSession::on_data(net::Connection& conn) {
  // An SSE client sends nothing after its request; ignore whatever comes so the input
  // buffer never fills.
  conn.consume(conn.input().size());
}

void SseSession::on_close(net::Connection&, std::error_code) {
  end();
}

hub::PresenceInfo SseSession::presence() const {
  const access::Identity* id = client_.identity.get();
  if (!id || id->admin()) return {client_.id.text(), {}, {}};
  return {client_.id.text(), id->user, id->info};
}

// ---- entry points --------------------------------------------------------------------------

void handle_sse(http::HttpSession& session, http::Request& req, access::Gate& gate,
                access::Client client) {
  http::Context& ctx = session.context();
  const base::Settings& settings = *ctx.settings;
  std::string allow_origin(cors_allow_origin(req.header("Origin"), settings.allowed_origins));
  http::Header cors[1] = {{"Access-Control-Allow-Origin", allow_origin}};
  std::span<const http::Header> extra(cors, allow_origin.empty() ? 0 : 1);

  if (ctx.draining) {
    // Why not a 503: an EventSource treats any answer but a 200 event stream as final and
    // never reconnects. So a stream opened during the drain is a 200 that only says
    // "reconnect", with a retry: that outlasts the window: the browser comes back once this
    // node is gone, to another node or to this one restarted.
    uint64_t now = ctx.loop->now_ms();
    uint64_t left = ctx.drain_end_ms > now ? ctx.drain_end_ms - now : 0;
    std::string body;
    proto::append_sse_retry(body, uint32_t(left + settings.sse_retry_ms));
    body += kReconnectEvent;
    http::Header headers[2] = {{"Cache-Control", "no-cache"}, {}};
    size_t n = 1;
    if (!allow_origin.empty()) headers[n++] = cors[0];
    session.close_after_response();
    return session.respond(200, "text/event-stream", body,
                           std::span<const http::Header>(headers, n));
  }
  auto query = http::QueryParams::parse(req.query);
  if (!query) return session.respond_error(400, "bad query string", extra);
  bool has_last_id = false;
  std::string_view last_id = req.header("Last-Event-ID", &has_last_id);
  std::string_view cursor = choose_cursor(last_id, has_last_id, query->get("since"));
  ChannelRequest creq;
  RequestError err;
  if (!parse_channel_request(*query, cursor, settings, &creq, &err))
    return session.respond_error(err.status, err.message, extra);
  if (req.method == http::Method::head) {
    // The head of the stream a GET would start, and nothing more: no subscription, no events,
    // and the connection goes on with the next request (RFC 9110 §9.3.2).
    http::Header headers[3] = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}, {}};
    size_t n = 2;
    if (!allow_origin.empty()) headers[n++] = cors[0];
    return session.respond_stream_head(200, "text/event-stream",
                                       std::span<const http::Header>(headers, n));
  }

  net::Connection& conn = session.connection();
  auto stream = std::make_unique<SseSession>(ctx, gate, conn, std::move(client), std::move(creq),
                                             std::move(allow_origin));
  SseSession* raw = stream.get();
  std::shared_ptr<const http::AccessRecord> access = session.access_record();
  session.take_over(std::move(stream));
  raw->start(std::move(access));
}

bool drain(net::Connection& conn) {
  if (auto* s = dynamic_cast<SseSession*>(conn.handler())) {
    s->drain();
    return true;
  }
  return drain_poll(conn);
}

}  // namespace herald::sse
