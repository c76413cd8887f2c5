#include "cluster/link.h"

#include <algorithm>

#include "base/error.h"
#include "base/log.h"
#include "cluster/scripts.h"
#include "net/listener.h"

namespace herald::cluster {

// Forwards the connection's events to the link while attached. The connection owns the
// handler and outlives a detach until the end of the iteration; a detached handler calls
// nobody (the link may already be reconnecting on a new connection).
class RedisLink::Handler final : public net::ConnectionHandler {
 public:
  explicit Handler(RedisLink* link) : link_(link) {}
  void detach() { link_ = nullptr; }

  void on_connected(net::Connection&) override {
    if (link_) link_->on_connected();
  }
  void on_data(net::Connection& c) override {
    if (link_) link_->on_data(c);
  }
  void on_eof(net::Connection& c) override {
    // Redis closed its side (CLIENT KILL, shutdown, timeout): nothing more will come.
    RedisLink* l = link_;
    link_ = nullptr;
    c.abort();
    if (l) l->on_closed(base::Errc::closed);
  }
  void on_close(net::Connection&, std::error_code ec) override {
    RedisLink* l = link_;
    link_ = nullptr;
    if (l) l->on_closed(ec ? ec : std::error_code(base::Errc::closed));
  }

 private:
  RedisLink* link_;
};

RedisLink::RedisLink(loop::Loop& loop, Config cfg, Listener& listener, RedisStats& stats)
    : loop_(loop), cfg_(std::move(cfg)), listener_(listener), stats_(stats) {
  RedisStats::add(stats_.links);
}

RedisLink::~RedisLink() {
  shutdown();
  RedisStats::sub(stats_.links);
}

void RedisLink::start() {
  if (shut_ || state_ != State::down) return;
  connect_now();
}

void RedisLink::shutdown() {
  if (shut_) return;
  shut_ = true;
  timer_.stop();
  detach_and_abort();
  if (counted_up_) {
    RedisStats::sub(stats_.links_up);
    counted_up_ = false;
  }
  state_ = State::down;
  // The loops have stopped: nothing may be called back (the callers' state is going away).
  sent_.clear();
  waiting_.clear();
}

void RedisLink::detach_and_abort() {
  if (!conn_) return;
  net::Connection* c = conn_;
  handler_->detach();
  conn_ = nullptr;
  handler_ = nullptr;
  c->abort();
}

void RedisLink::connect_now() {
  state_ = State::connecting;
  ++conn_gen_;
  reader_ = std::make_unique<ReplyReader>();
  connect_deadline_ms_ = loop_.now_ms() + cfg_.timeout_ms;
  auto fd = net::connect_tcp(cfg_.address);
  if (!fd.ok()) {
    fail("connect: " + fd.error().message());
    return;
  }
  conn_ = new net::Connection(loop_, fd.value(), cfg_.address, kInputBytes);
  auto handler = std::make_unique<Handler>(this);
  handler_ = handler.get();
  conn_->start(std::move(handler), /*connecting=*/true);
  arm();
}

void RedisLink::on_connected() {
  state_ = State::handshake;
  handshake_left_ = 0;
  // The handshake goes first on the wire, ahead of any waiting command; each reply must be
  // a success before the link is ready.
  auto step = [this](const char* what) {
    ++handshake_left_;
    uint64_t gen = conn_gen_;
    return [this, what, gen](const Reply* r, std::error_code ec) {
      if (ec || gen != conn_gen_) return;  // this connection is gone already
      handshake_step(r, ec, what);
    };
  };
  std::string cmd;
  uint64_t deadline = loop_.now_ms() + cfg_.timeout_ms;
  if (!cfg_.password.empty()) {
    std::string_view args[] = {"AUTH", cfg_.password};
    format_command(cmd, args);
    sent_.push_back({step("AUTH"), deadline});
  }
  if (cfg_.kind == Kind::command && cfg_.db != 0) {
    std::string db = std::to_string(cfg_.db);
    std::string_view args[] = {"SELECT", db};
    format_command(cmd, args);
    sent_.push_back({step("SELECT"), deadline});
  }
  if (cfg_.kind == Kind::command && cfg_.load_scripts) {
    for (size_t i = 0; i < size_t(Script::count); ++i) {
      std::string_view args[] = {"SCRIPT", "LOAD", script_source(Script(i))};
      format_command(cmd, args);
      sent_.push_back({step("SCRIPT LOAD"), deadline});
    }
  }
  if (handshake_left_ == 0) {
    become_ready();
    return;
  }
  RedisStats::add(stats_.commands, handshake_left_);
  conn_->send(cmd);
  arm();
}

void RedisLink::handshake_step(const Reply* r, std::error_code, const char* what) {
  if (r->is_error()) {
    // A wrong password or a refused SELECT will not get better by retrying at once; the
    // backoff paces the attempts and the log says why.
    HLOG_ERROR("redis %s: %s failed: %s", cfg_.address.to_string().c_str(), what,
               r->describe().c_str());
    reset(what);
    return;
  }
  if (--handshake_left_ == 0) become_ready();
}

void RedisLink::become_ready() {
  state_ = State::ready;
  ++ups_;
  if (!counted_up_) {
    RedisStats::add(stats_.links_up);
    counted_up_ = true;
  }
  if (ups_ > 1) RedisStats::add(stats_.reconnects);
  if (failures_in_row_ > 0)
    HLOG_INFO("redis %s: %s link up", cfg_.address.to_string().c_str(),
              cfg_.kind == Kind::pubsub ? "pub/sub" : "command");
  failures_in_row_ = 0;
  backoff_ms_ = kReconnectMinMs;
  ping_sent_ms_ = 0;
  next_ping_ms_ = loop_.now_ms() + kPubsubPingMs;
  // What waited for the link goes out now, in order, behind nothing.
  if (!waiting_.empty()) {
    std::string batch;
    for (Waiting& w : waiting_) {
      batch += w.cmd;
      sent_.push_back(std::move(w.p));
    }
    RedisStats::add(stats_.commands, waiting_.size());
    waiting_.clear();
    conn_->send(batch);
  }
  arm();
  listener_.on_link_up(*this);
}

void RedisLink::command(std::string cmd, ReplyFn fn) {
  if (shut_) return;
  uint64_t deadline = loop_.now_ms() + cfg_.timeout_ms;
  if (state_ == State::ready) {
    RedisStats::add(stats_.commands);
    conn_->send(cmd);
    sent_.push_back({std::move(fn), deadline});
  } else if (waiting_.size() >= kMaxWaiting) {
    loop_.defer([fn = std::move(fn)] { fn(nullptr, base::Errc::unavailable); });
    return;
  } else {
    waiting_.push_back({std::move(cmd), {std::move(fn), deadline}});
  }
  if (!timer_.active()) arm();
}

bool RedisLink::send(std::string_view cmd) {
  if (state_ != State::ready) return false;
  RedisStats::add(stats_.commands);
  conn_->send(cmd);
  return true;
}

void RedisLink::on_data(net::Connection& conn) {
  reader_->feed(conn.input().readable());
  conn.consume(conn.input().size());
  uint64_t gen = conn_gen_;
  while (gen == conn_gen_ && conn_ == &conn) {
    std::unique_ptr<Reply> reply;
    ReplyReader::Status st = reader_->next(reply);
    if (st == ReplyReader::Status::need_more) return;
    if (st == ReplyReader::Status::error) {
      HLOG_ERROR("redis %s: bad reply: %.*s", cfg_.address.to_string().c_str(),
                 int(reader_->error_text().size()), reader_->error_text().data());
      RedisStats::add(stats_.malformed);
      reset("protocol error");
      return;
    }
    dispatch(std::move(reply));
  }
}

bool RedisLink::is_pong(const Reply& r) const {
  if (r.is_status("PONG")) return true;
  return r.is_array() && !r.elements.empty() && r.elements[0].is_string() &&
         r.elements[0].str == "pong";
}

void RedisLink::dispatch(std::unique_ptr<Reply> reply) {
  second_look_ = false;  // the server is answering
  if (!sent_.empty()) {
    Pending p = std::move(sent_.front());
    sent_.pop_front();
    if (reply->is_error()) RedisStats::add(stats_.command_errors);
    p.fn(reply.get(), {});
    return;
  }
  if (cfg_.kind == Kind::pubsub && state_ == State::ready) {
    if (is_pong(*reply)) {
      ping_sent_ms_ = 0;
      return;
    }
    listener_.on_push(*this, *reply);
    return;
  }
  HLOG_ERROR("redis %s: unexpected reply %s", cfg_.address.to_string().c_str(),
             reply->describe().c_str());
  RedisStats::add(stats_.malformed);
  reset("unexpected reply");
}

void RedisLink::on_closed(std::error_code ec) {
  // The connection deletes itself; forget it before anything else.
  conn_ = nullptr;
  handler_ = nullptr;
  fail(ec == base::Errc::closed ? "closed by the server" : ec.message());
}

void RedisLink::reset(std::string_view why) {
  if (shut_) return;
  detach_and_abort();
  fail(why);
}

void RedisLink::fail(std::string_view why) {
  if (shut_) return;
  detach_and_abort();
  bool was_ready = state_ == State::ready;
  state_ = State::down;
  ++conn_gen_;
  RedisStats::add(stats_.link_failures);
  if (counted_up_) {
    RedisStats::sub(stats_.links_up);
    counted_up_ = false;
  }
  // Log the transition, not every attempt of a server that stays away.
  if (was_ready || failures_in_row_ == 0)
    HLOG_WARN("redis %s: %s link down (%.*s); reconnecting", cfg_.address.to_string().c_str(),
              cfg_.kind == Kind::pubsub ? "pub/sub" : "command", int(why.size()), why.data());
  ++failures_in_row_;
  reconnect_at_ms_ = loop_.now_ms() + backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, kReconnectMaxMs);
  // What was sent may or may not have run: its callers hear "unavailable". What waits keeps
  // waiting for the next connection, until its deadline.
  std::deque<Pending> failed = std::move(sent_);
  sent_.clear();
  handshake_left_ = 0;
  if (was_ready) listener_.on_link_down(*this);
  for (Pending& p : failed) p.fn(nullptr, base::Errc::unavailable);
  arm();
}

void RedisLink::arm() {
  if (shut_) return;
  uint64_t now = loop_.now_ms();
  uint64_t at = UINT64_MAX;
  if (state_ == State::down) at = reconnect_at_ms_;
  if (state_ == State::connecting || state_ == State::handshake)
    at = std::min(at, connect_deadline_ms_);
  if (!sent_.empty()) at = std::min(at, sent_.front().deadline_ms);
  if (!waiting_.empty()) at = std::min(at, waiting_.front().p.deadline_ms);
  if (state_ == State::ready && cfg_.kind == Kind::pubsub)
    at = std::min(at, ping_sent_ms_ ? ping_sent_ms_ + cfg_.timeout_ms : next_ping_ms_);
  if (at == UINT64_MAX) {
    timer_.stop();
    return;
  }
  timer_.start(loop_.timers(), at > now ? at - now : 0, [this] { on_timer(); });
}

void RedisLink::on_timer() {
  uint64_t now = loop_.now_ms();
  while (!waiting_.empty() && waiting_.front().p.deadline_ms <= now) {
    Pending p = std::move(waiting_.front().p);
    waiting_.pop_front();
    RedisStats::add(stats_.command_timeouts);
    p.fn(nullptr, base::Errc::unavailable);
    if (shut_) return;
  }
  bool no_answer = !sent_.empty() && sent_.front().deadline_ms <= now;
  bool no_pong = state_ == State::ready && cfg_.kind == Kind::pubsub && ping_sent_ms_ &&
                 ping_sent_ms_ + cfg_.timeout_ms <= now;
  if (no_answer || no_pong) {
    // Timers run after the io phase, whose ready list was taken before this iteration's work:
    // after a long iteration (a busy or descheduled loop) the answer may be in the socket
    // unread. One more pass through epoll tells a silent server from a late reader.
    if (!second_look_) {
      second_look_ = true;
      timer_.start(loop_.timers(), 0, [this] { on_timer(); });
      return;
    }
    second_look_ = false;
    if (no_answer) RedisStats::add(stats_.command_timeouts);
    reset((no_answer ? "no answer within " : "no pong within ") + std::to_string(cfg_.timeout_ms) +
          " ms");
    return;  // fail() re-armed
  }
  second_look_ = false;
  if ((state_ == State::connecting || state_ == State::handshake) && connect_deadline_ms_ <= now) {
    reset("connect timed out");
    return;
  }
  if (state_ == State::down && reconnect_at_ms_ <= now) {
    connect_now();
    return;
  }
  if (state_ == State::ready && cfg_.kind == Kind::pubsub) {
    if (!ping_sent_ms_ && next_ping_ms_ <= now) {
      std::string cmd;
      std::string_view args[] = {"PING"};
      format_command(cmd, args);
      send(cmd);
      ping_sent_ms_ = now;
      next_ping_ms_ = now + kPubsubPingMs;
    }
  }
  arm();
}

}  // namespace herald::cluster
