#pragma once
// The two WebSocket endpoints behind WsSessionBase:
//  - HeraldSession: the herald.v1 JSON protocol on GET /ws (docs/protocol.md): connect, subscribe
//  (with
//    recovery), unsubscribe, publish, history, presence, ping; pushes of live publications;
//    slow-consumer eviction (close 4008).
//  - EchoSession: GET /ws/echo (--debug-echo), every data message sent back as it came.
//
// Protocol choices documented in docs/protocol.md:
//  - A command without "id" is executed; its success reply is left out (there is nothing to
//    correlate it with), its error is sent as an error push without "id".
//  - A binary frame is a command with a payload: its JSON object, NUL, the bytes (only publish;
//    proto/binary.h). A binary publication goes out as a binary frame of the same form. A
//    malformed one gets an error (with the command's id when it could be read) and the
//    connection stays open, like a text frame that is not JSON.
//  - Who the connection is: the token of the upgrade request (?token= or Authorization:
//    Bearer), or of a connect op (error 401 and close 4500 when bad, 4005 when expired);
//    otherwise anonymous. A token that expires closes the connection with 4005 unless a
//    refresh op brought a new token of the same user first.
//  - What a client may do is decided by the access layer (access::Gate, for the identity the
//    connection established); its refusals are answered from access::answer().
//  - Replays are paced: the pushes of a subscribe-with-recovery are queued about
//    max_output_bytes / 2 at a time (the rest from on_drained), and live pushes that arrive
//    meanwhile wait behind them in order, so a replay larger than the output limit reaches a
//    reader that keeps up. Slow consumer = the connection reports more than max_output_bytes
//    left after the kernel took what it could (or a backlog of live pushes that large).
//  - publish_rate 0 means "no limit".
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/gate.h"
#include "base/fifo.h"
#include "base/slab_pool.h"
#include "hub/hub.h"
#include "proto/errors.h"
#include "proto/json.h"
#include "ws/channel_list.h"
#include "ws/session_base.h"

namespace herald::ws {

class HeraldSession final : public WsSessionBase,
                            public access::Member,
                            public base::SlabAllocated<HeraldSession> {
 public:
  HeraldSession(http::Context& ctx, access::Gate& gate, net::Connection& conn,
                access::Client client, DeflateParams deflate = {});
  ~HeraldSession() override;

  // hub::Subscriber
  void deliver(const hub::Delivery& d) override;
  hub::PresenceInfo presence() const override;
  /// Pushes {"channel":"c","recovered":false,"cursor":"E:N"}: the client reloads its state.
  void on_stream_reset(std::string_view channel, const hub::Cursor& now) override;

  // net::ConnectionHandler
  void on_drained(net::Connection& conn) override;

  // access::Member
  const access::Client& member_client() const override { return client_; }
  /// Closes with the outcome's close code (4006 or 4506).
  void disconnect(access::Outcome o) override;

 protected:
  void on_message(WsEvent& e) override;
  void on_closed() override;
  void on_slow_consumer() override;

 private:
  /// What asynchronous callbacks (publish, history, presence) hold to find out whether the
  /// session still exists when they run: the session clears `session` when it closes. Counted
  /// by hand, so that the session keeps one pointer to it (a shared_ptr took 16 bytes per
  /// connection) and a callback's capture is 8 bytes. The count is atomic as a shared_ptr's is:
  /// a callback may be destroyed on the loop that served the operation.
  /// An anonymous client's publish rate bucket is here too (used on the session's loop only):
  /// made with the first publish, so a session that only subscribes pays for neither.
  struct Alive {
    explicit Alive(HeraldSession* s) : session(s) {}
    HeraldSession* session;
    std::atomic<uint32_t> refs{1};  // the session's own
    access::RateBucket publish_bucket;
  };
  class AliveRef {
   public:
    explicit AliveRef(Alive* a) : a_(a) { a_->refs.fetch_add(1, std::memory_order_relaxed); }
    AliveRef(const AliveRef& o) : AliveRef(o.a_) {}
    AliveRef(AliveRef&& o) noexcept : a_(std::exchange(o.a_, nullptr)) {}
    AliveRef& operator=(const AliveRef&) = delete;
    AliveRef& operator=(AliveRef&&) = delete;
    ~AliveRef() { release(a_); }
    /// The session, or nullptr once it closed.
    HeraldSession* session() const { return a_->session; }
    /// Drops one reference to `a` (nothing for nullptr); the last one frees it.
    static void release(Alive* a) {
      if (a && a->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete a;
    }

   private:
    Alive* a_;
  };

  void handle(const proto::Command& cmd);
  void op_connect(const proto::Command& cmd);
  void op_subscribe(const proto::Command& cmd);
  void op_unsubscribe(const proto::Command& cmd);
  void op_publish(const proto::Command& cmd);
  void op_history(const proto::Command& cmd);
  void op_presence(const proto::Command& cmd);
  void op_refresh(const proto::Command& cmd);
  /// (Re)arms the close 4005 at the identity's expiry (nothing without one).
  /// The token's expiry (WsSessionBase's subclass deadline): milliseconds left by the wall
  /// clock, -1 when the identity does not expire.
  int64_t ms_until_deadline() const override;
  /// The token expired: close 4005.
  void on_deadline() override;
  /// Answers `cmd` with `o` and closes with o's close code (a connection-level refusal).
  void fail_connection(const proto::Command& cmd, access::Outcome o);
  /// Stops the expiry timer and releases the user's connection count.
  void release_identity();

  /// Sends `{"id":..,"error":..}` (without id when the command had none).
  void reply_error(const proto::Command& cmd, access::Outcome o);
  void reply_error(bool has_id, uint64_t id, access::Outcome o);
  void reply_error(bool has_id, uint64_t id, int code, std::string_view message);
  /// Sends an encoded reply; a command without id gets no success reply.
  void reply(const proto::Command& cmd, const std::string& json);
  /// A push waiting behind a replay: a replayed publication (frame built when written) or a
  /// live one (its shared frame).
  struct Queued {
    hub::PubPtr pub;
    base::SharedBuffer frame;
  };
  /// The frame of `pub` for this connection (compressed when agreed and worth it), built for
  /// this connection alone: clients with a server window under 15 bits.
  base::SharedBuffer own_push_frame(const hub::Publication& pub) const;
  /// The form this connection's pushes share with the loop's other subscribers, or none (a
  /// server window under 15 bits: own_push_frame).
  std::optional<hub::WireForm> shared_form() const;
  /// The frame of a replayed publication: shared with the loop's other subscribers that replay
  /// it in the same round (hub::ReplayForms), or own_push_frame.
  base::SharedBuffer replay_frame(const hub::PubPtr& pub) const;
  /// Sends one live push, or queues it behind the backlog; evicts at the hard cap.
  void push(const hub::Delivery& d, const base::SharedBuffer& frame);
  /// Writes backlog until about half the output limit is queued; on_drained goes on.
  void pump();
  AliveRef alive();
  /// Tells the callbacks that still hold the handle that the session is gone.
  void forget_alive();
  /// Subscribed to `channel`, or waiting for the answer.
  bool subscribed(std::string_view channel);
  /// Subscriptions, answered or not (max_subscriptions).
  size_t subscription_count();
  void forget_channel(std::string_view channel);

  access::Gate& gate_;
  access::Client client_;
  uint64_t opened_ms_ = 0;  // loop clock at the upgrade (conn_close duration)
  ChannelList channels_;    // subscriptions not answered yet (the hub records the others)
  Alive* alive_ = nullptr;  // made on the first asynchronous operation; holds a reference
  /// Pushes not yet queued on the connection, in order, and the bytes of the live frames among
  /// them (bounded by max_output_bytes).
  struct Backlog {
    base::Fifo<Queued> items;
    size_t live_bytes = 0;
  };
  /// The backlog, made when a replay starts it; nullptr whenever it is empty, so an idle
  /// session holds one pointer instead of the queue (40 bytes).
  std::unique_ptr<Backlog> backlog_;
};

class EchoSession final : public WsSessionBase {
 public:
  EchoSession(http::Context& ctx, net::Connection& conn, DeflateParams deflate = {});

 protected:
  void on_message(WsEvent& e) override;
};

/// The frame of a publication's push `{"channel":"c","offset":N,"data":...}` (WireForm::ws_frame);
/// for a binary publication the binary frame `{"channel":"c","offset":N}` NUL bytes.
base::SharedBuffer make_push_frame(const hub::Publication& pub);

/// The same push for a client that agreed permessage-deflate with `deflate` (always without
/// server context takeover): compressed with RSV1 when at least kMinCompressSize bytes and
/// smaller once compressed, else the plain frame. With a 15-bit server window this is
/// WireForm::ws_frame_deflate, built once per loop and shared by every such subscriber.
base::SharedBuffer make_push_frame(const hub::Publication& pub, const DeflateParams& deflate);

}  // namespace herald::ws
