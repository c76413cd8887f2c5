#include "sse/poll.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "base/log.h"
#include "hub/replay_forms.h"
#include "proto/json.h"
#include "sse/transports.h"

namespace herald::sse {

namespace {
// The long-polls held on this loop, for the SIGTERM drain (the worker sees connections and
// their HTTP sessions, not what a held request waits for). One map per loop thread; a
// connection may hold several (pipelined polls).
thread_local std::unordered_multimap<net::Connection*, PollRequest*> held_polls;
}  // namespace

PollRequest::PollRequest(http::HttpSession& session, access::Gate& gate, access::Client client,
                         ChannelRequest req, uint64_t wait_ms, std::string allow_origin)
    : session_(&session),
      ctx_(session.context()),
      gate_(gate),
      client_(std::move(client)),
      conn_(&session.connection()),
      cursor_(std::move(req.channels)),
      since_(std::move(req.since)),
      allow_origin_(std::move(allow_origin)),
      wait_ms_(wait_ms) {
  pushes_.resize(cursor_.size());
  // Until the hub answers, a channel stands where the client said: an early answer (drain)
  // then gives the client its own cursor back, never a position it has not reached.
  for (size_t i = 0; i < cursor_.size(); ++i) {
    if (since_[i]) cursor_.set(i, since_[i]->epoch, since_[i]->offset);
  }
}

PollRequest::~PollRequest() = default;

void PollRequest::start() {
  self_ = shared_from_this();
  held_ = session_->hold([keep = self_] { keep->on_abort(); });
  held_polls.emplace(conn_, this);
  if (wait_ms_ > 0) {
    ++ctx_.metrics->connections_open[int(base::Transport::longpoll)];
    counted_ = true;
    started_ms_ = ctx_.loop->now_ms();
    // A long-poll is a connection for the log (a short poll is a request: the access log).
    if (base::log_enabled(base::LogLevel::info)) {
      client_.id = access::ClientId::next(ctx_.loop->index());
      access::log_conn_open(client_, base::Transport::longpoll);
    }
  }
  waiting_ = cursor_.size();
  subscribed_ = wait_ms_ > 0;
  for (size_t i = 0; i < cursor_.size() && !done_; ++i) {
    if (wait_ms_ == 0) {
      // Without a cursor only the current position is wanted (limit 0).
      gate_.catch_up(client_, cursor_.channel(i), since_[i], since_[i] ? hub::kNoLimit : 0,
                     [self = self_, i](access::Outcome o, hub::HistoryResult r) {
                       self->on_history(i, o, std::move(r));
                     });
    } else {
      gate_.subscribe(client_, this, cursor_.channel(i), since_[i],
                      [self = self_, i](access::Outcome o, hub::SubscribeResult r) {
                        self->on_subscribed(i, o, std::move(r));
                      });
    }
  }
}

void PollRequest::on_history(size_t index, access::Outcome o, hub::HistoryResult h) {
  if (done_) return;
  if (o != access::Outcome::ok) return answer_error(o);
  if (!take_answer(index, since_[index].has_value(), h.recovered, h.cursor, h.publications)) return;
  if (--waiting_ == 0) all_answered();
}

void PollRequest::on_subscribed(size_t index, access::Outcome o, hub::SubscribeResult r) {
  if (done_) return;
  if (o != access::Outcome::ok) return answer_error(o);
  if (!take_answer(index, since_[index].has_value(), r.recovered, r.cursor, r.replay)) return;
  if (--waiting_ == 0) all_answered();
}

bool PollRequest::take_answer(size_t index, bool has_since, bool recovered,
                              const hub::Cursor& cursor, const std::vector<hub::PubPtr>& pubs) {
  if (has_since && !recovered) {
    unrecovered_.push_back(cursor_.channel(index));
  }
  // Replayed: shared with the loop's other pollers that replay the same publications now.
  for (const hub::PubPtr& pub : pubs)
    pushes_[index].push_back(
        hub::ReplayForms::form(pub, hub::WireForm::json_push, build_json_push));
  cursor_.set(index, cursor.epoch, cursor.offset);
  return true;
}

void PollRequest::all_answered() {
  // Short poll, or something to say already (replayed messages, a channel to reload).
  if (wait_ms_ == 0 || has_messages() || !unrecovered_.empty()) return answer();
  // A held long-poll whose token expires before the wait ends is answered 401 then.
  uint64_t wait = wait_ms_;
  bool expires = false;
  if (int64_t left = client_.ms_until_expiry(); left >= 0) {
    if (left == 0) return answer_error(access::Outcome::token_expired);
    if (uint64_t(left) < wait) {
      wait = uint64_t(left);
      expires = true;
    }
  }
  timer_.start(ctx_.loop->timers(), wait, [this, expires] {
    if (!expires) return answer();
    ++ctx_.metrics->tokens_expired_live;
    answer_error(access::Outcome::token_expired);
  });
}

bool PollRequest::has_messages() const {
  for (const auto& p : pushes_) {
    if (!p.empty()) return true;
  }
  return false;
}

void PollRequest::deliver(const hub::Delivery& d) {
  if (done_ || d.pub().is_event()) return;  // polls are not present: no join/leave
  size_t i = cursor_.index_of(d.pub().channel);
  if (i == cursor_.size()) return;
  pushes_[i].push_back(d.form(hub::WireForm::json_push,
                              [](const hub::Publication& p) { return build_json_push(p); }));
  cursor_.set(i, d.pub().epoch, d.pub().offset);
  // Answer at the end of this loop iteration rather than now, so publications that reach
  // this loop together (a burst, a broadcast) leave in one response. If other channels are
  // still being subscribed, all_answered() answers when they are in.
  if (waiting_ == 0 && !answer_queued_) {
    answer_queued_ = true;
    ctx_.loop->defer([self = self_] {
      if (self) self->answer();
    });
  }
}

void PollRequest::on_stream_reset(std::string_view channel, const hub::Cursor& now) {
  if (done_) return;
  size_t i = cursor_.index_of(channel);
  if (i == cursor_.size()) return;
  // What was gathered for the channel belongs to the stream that was lost: never a partial
  // replay, so it goes, and the client is told to reload.
  pushes_[i].clear();
  if (std::find(unrecovered_.begin(), unrecovered_.end(), channel) == unrecovered_.end())
    unrecovered_.emplace_back(channel);
  cursor_.set(i, now.epoch, now.offset);
  if (waiting_ == 0 && !answer_queued_) {
    answer_queued_ = true;
    ctx_.loop->defer([self = self_] {
      if (self) self->answer();
    });
  }
}

void PollRequest::answer() {
  if (done_) return;
  std::vector<std::string_view> views;
  for (const auto& per_channel : pushes_) {
    for (const base::SharedBuffer& b : per_channel) views.push_back(b.view());
  }
  std::string body;
  size_t bytes = 64;
  for (std::string_view v : views) bytes += v.size() + 1;
  body.reserve(bytes);
  proto::encode_poll_response(body, views, cursor_.str(), unrecovered_);
  ctx_.metrics->messages_out += views.size();
  http::HttpSession* s = session_;
  http::Header headers[2] = {{"Cache-Control", "no-store"}, {}};
  size_t n = 1;
  if (!allow_origin_.empty()) headers[n++] = {"Access-Control-Allow-Origin", allow_origin_};
  finish(access::CloseReason::answered);
  if (s) s->respond_json(held_, 200, body, std::span<const http::Header>(headers, n));
}

void PollRequest::answer_error(access::Outcome o) {
  if (done_) return;
  const access::Answer& a = access::answer(o);
  http::HttpSession* s = session_;
  http::Header headers[2];
  size_t n = 0;
  if (!allow_origin_.empty()) headers[n++] = {"Access-Control-Allow-Origin", allow_origin_};
  if (a.challenge) headers[n++] = {"WWW-Authenticate", access::kBearerChallenge};
  finish(access::close_reason_of(o));
  if (s) s->respond_error(held_, a.status, a.message, std::span<const http::Header>(headers, n));
}

void PollRequest::on_abort() {
  session_ = nullptr;
  finish(access::CloseReason::client_closed);
}

void PollRequest::finish(access::CloseReason why) {
  if (done_) return;
  done_ = true;
  if (counted_ && base::log_enabled(base::LogLevel::info)) {
    access::log_conn_close(client_, base::Transport::longpoll,
                           why_ != access::CloseReason::none ? why_ : why,
                           ctx_.loop->now_ms() - started_ms_, 0, 0);
  }
  timer_.stop();
  if (subscribed_) gate_.unsubscribe_all(this);
  auto [first, last] = held_polls.equal_range(conn_);
  for (auto it = first; it != last; ++it) {
    if (it->second == this) {
      held_polls.erase(it);
      break;
    }
  }
  if (counted_) {
    --ctx_.metrics->connections_open[int(base::Transport::longpoll)];
    counted_ = false;
  }
  // Released after this call chain: we may be inside our own timer or a hub callback.
  if (self_) ctx_.loop->defer([keep = std::move(self_)] {});
}

bool drain_poll(net::Connection& conn) {
  // answer_now() erases its entry: copy the list first. Each holds itself (self_) until the
  // end of the iteration, so the pointers stay valid.
  std::vector<PollRequest*> polls;
  auto [first, last] = held_polls.equal_range(&conn);
  for (auto it = first; it != last; ++it) polls.push_back(it->second);
  for (PollRequest* p : polls) p->answer_now();
  return !polls.empty();
}

// ---- entry point ---------------------------------------------------------------------------

void handle_poll(http::HttpSession& session, http::Request& req, access::Gate& gate,
                 access::Client client) {
  http::Context& ctx = session.context();
  const base::Settings& settings = *ctx.settings;
  std::string allow_origin(cors_allow_origin(req.header("Origin"), settings.allowed_origins));
  http::Header cors[1] = {{"Access-Control-Allow-Origin", allow_origin}};
  std::span<const http::Header> extra(cors, allow_origin.empty() ? 0 : 1);

  auto query = http::QueryParams::parse(req.query);
  if (!query) return session.respond_error(400, "bad query string", extra);
  uint64_t wait_ms = 0;
  bool has_wait = false;
  std::string_view wait = query->get("wait", &has_wait);
  if (has_wait) {
    auto w = parse_wait_ms(wait, settings.poll_max_wait_sec);
    if (!w) return session.respond_error(400, "bad wait", extra);
    wait_ms = *w;
  }
  // While draining a long-poll would only be cut short: answer it as a short poll.
  if (ctx.draining) wait_ms = 0;
  ChannelRequest creq;
  RequestError err;
  if (!parse_channel_request(*query, query->get("since"), settings, &creq, &err))
    return session.respond_error(err.status, err.message, extra);
  auto poll = std::make_shared<PollRequest>(session, gate, std::move(client), std::move(creq),
                                            wait_ms, std::move(allow_origin));
  poll->start();
}

}  // namespace herald::sse
