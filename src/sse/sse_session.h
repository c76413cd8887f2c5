#pragma once
// One Server-Sent Events stream (GET /sse): the connection's handler after the HTTP request,
// and the hub subscriber of every channel of the stream.
//
// Life of a stream:
//  1. start(): one hub subscribe per channel, each from its cursor when the request had one.
//     Nothing is written yet, so a failed subscribe can still be answered with an HTTP error.
//  2. When every answer is in: the response head, `retry:` and every `event: recovery`
//     (cursor not honoured), then the backlog: per channel in request order its replayed
//     events, then the live events that arrived meanwhile, then an id-only event when no
//     event carried the stream's full cursor yet (so a reconnect before the first publication
//     still resumes every channel). The backlog is paced: about max_output_bytes / 2 is queued
//     at a time and the rest follows from on_drained, so a replay larger than the output
//     limit reaches a reader that keeps up. Live events arriving meanwhile wait behind it (in
//     order; at most max_output_bytes of them, or the stream is a slow consumer).
//  3. Live events, each with the stream's cursor as `id:`; a heartbeat comment when idle.
//  4. The end: client close, slow consumer eviction (net::Connection reports more than
//     max_output_bytes left after the kernel took what it could: the stream stops and closes
//     with a FIN after what the kernel holds, so the client resumes from its last whole event),
//     or drain (`event: reconnect`). Every way ends in on_close -> hub unsubscribe_all.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/conn_log.h"
#include "access/gate.h"
#include "base/fifo.h"
#include "base/slab_pool.h"
#include "http/context.h"
#include "http/session.h"
#include "hub/hub.h"
#include "loop/timer.h"
#include "net/connection.h"
#include "sse/event.h"
#include "sse/request.h"

namespace herald::sse {

// The session is its own timer entry, for the heartbeat and the token's expiry (a Timer for
// each took 56 bytes and a pointer).
class SseSession final : public net::ConnectionHandler,
                         public access::Member,
                         public base::SlabAllocated<SseSession>,
                         private loop::TimerEntry {
 public:
  /// `allow_origin` is the Access-Control-Allow-Origin value ("" : no header).
  SseSession(http::Context& ctx, access::Gate& gate, net::Connection& conn, access::Client client,
             ChannelRequest req, std::string allow_origin);
  ~SseSession() override;

  /// Subscribes to every channel; the stream begins when all have answered. `access`: the
  /// request's access-log record (nullptr when that log is off), written with the answer.
  void start(std::shared_ptr<const http::AccessRecord> access = nullptr);
  /// Sends `event: reconnect` and closes (SIGTERM drain).
  void drain();

  // access::Member
  const access::Client& member_client() const override { return client_; }
  /// Ends the stream with `event: reconnect` (disconnected) or `event: disconnect`
  /// (disconnected_final); before the stream began, answers the outcome's status.
  void disconnect(access::Outcome o) override;

  // net::ConnectionHandler
  void on_data(net::Connection& conn) override;
  void on_drained(net::Connection& conn) override;
  void on_output_overflow(net::Connection& conn) override;
  void on_close(net::Connection& conn, std::error_code ec) override;
  // hub::Subscriber
  void deliver(const hub::Delivery& d) override;
  hub::PresenceInfo presence() const override;
  /// Writes `event: recovery` (recovered false, the new cursor) and moves the id there.
  void on_stream_reset(std::string_view channel, const hub::Cursor& now) override;

 private:
  struct Held {
    size_t index;
    hub::PubPtr pub;
    base::SharedBuffer event;
  };
  // What only the stream's start needs: where the stream stands in each channel, the subscribe
  // answers (with their replays), the request's cursors, the CORS value of the head, live
  // events held behind the backlog and the backlog position. Freed once the backlog is
  // written, so an idle stream keeps none of it (nor its size in the session object).
  struct StartState {
    explicit StartState(std::vector<std::string> channels) : cursor(std::move(channels)) {}
    StreamCursor cursor;
    std::vector<std::optional<base::Cursor>> since;
    std::vector<std::optional<hub::SubscribeResult>> answers;
    std::string allow_origin;
    std::shared_ptr<const http::AccessRecord> access;  // the request's access-log line, if on
    base::Fifo<Held> held;      // live events that arrived before the backlog was written
    size_t held_bytes = 0;      // their SSE forms' size (bounded by max_output_bytes)
    size_t waiting = 0;         // subscribe answers still due
    size_t replay_channel = 0;  // backlog position: channel, then publication in its replay
    size_t replay_index = 0;
  };

  /// Where the stream stands: during its start, and after it for several channels; null for
  /// a one-channel stream once its start is written.
  StreamCursor* cursor() const { return start_ ? &start_->cursor : many_.get(); }
  /// Which of the stream's channels `channel` is, or npos when it is none of them.
  size_t index_of(std::string_view channel) const;
  void on_subscribed(size_t index, access::Outcome o, hub::SubscribeResult r);
  void begin_stream();
  /// Writes backlog (replay, then held live events) until about half the output limit is
  /// queued; asks the connection for on_drained to go on. Ends the backlog when it is empty.
  void pump();
  /// Ends the backlog; appends the id line to `out` when the last id sent is not current.
  void finish_backlog(std::string& out);
  /// No replay and no live event held: the stream can start in one write.
  static bool nothing_to_replay(const StartState& st);
  /// Slow consumer: counted, the stream stops, the connection closes without its queue.
  void evict();
  /// Writes the event of `pub` (channel `index`), whose shared SSE form is `event`.
  void write_event(size_t index, const hub::Publication& pub, const base::SharedBuffer& event);
  /// Answers the request with `o`'s HTTP error (the stream never began) and closes.
  void fail_before_stream(access::Outcome o);
  /// Heartbeats are due once the stream's start (head and backlog) is written.
  bool heartbeats() const { return streaming_ && !start_; }
  /// Arms the session's one deadline: the next heartbeat or the expiry, whichever is sooner.
  void arm_timer();
  /// The deadline passed: the stream ends if the token expired, else a heartbeat (a comment
  /// line) and the next deadline.
  void on_timer() override;
  /// The client's token expired: `event: reconnect` (or 401 before the stream began).
  void expire();
  /// Stops the stream and logs conn_close with `why` (none: the client closed).
  void end(access::CloseReason why = access::CloseReason::none);

  http::Context& ctx_;
  access::Gate& gate_;
  net::Connection& conn_;
  access::Client client_;
  std::unique_ptr<StartState> start_;  // until the backlog is written
  // After the start, a stream of several channels keeps its cursor here: each event's id names
  // every channel. A one-channel stream keeps none (96 bytes and its channel's name per idle
  // stream): it is sent that channel's publications only, and each carries its own id.
  std::unique_ptr<StreamCursor> many_;
  bool streaming_ = false;
  bool backlog_ = false;  // the head is out, the backlog is not yet all queued
  bool ended_ = false;
  bool counted_ = false;     // counted in connections_open[sse]
  bool id_current_ = false;  // the last event written carried the stream's whole cursor
  bool opened_ = false;      // start() ran: conn_open was logged, conn_close is due
  uint64_t opened_ms_ = 0;   // loop clock at start() (conn_close duration)
};

}  // namespace herald::sse
