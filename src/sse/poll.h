#pragma once
// Long and short polling (GET /poll, docs/protocol.md). Stateless: the cursor the client echoes is
// all the state, so any node can answer any poll.
//
//  - wait=0 (short poll): one history read per channel after its cursor; answer at once.
//  - wait>0 (long-poll): one hub subscribe per channel from its cursor. The subscribe's replay
//    is the history after the cursor and its live feed follows with no gap, so: replay or an
//    unrecovered channel -> answer at once; otherwise the first live publication answers
//    (batched with whatever else arrives in the same loop iteration), or the timer answers
//    with an empty list and the same cursor. The subscriptions end with the answer.
// The request is held (HttpSession::hold) meanwhile; a client that goes away unsubscribes it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/conn_log.h"
#include "access/gate.h"
#include "http/session.h"
#include "hub/hub.h"
#include "loop/timer.h"
#include "net/connection.h"
#include "sse/event.h"
#include "sse/request.h"

namespace herald::sse {

class PollRequest final : public hub::Subscriber, public std::enable_shared_from_this<PollRequest> {
 public:
  PollRequest(http::HttpSession& session, access::Gate& gate, access::Client client,
              ChannelRequest req, uint64_t wait_ms, std::string allow_origin);
  ~PollRequest();

  /// Holds the session and asks the hub; answers later (possibly inside this call).
  void start();
  /// Answers now with what has been gathered (SIGTERM drain).
  void answer_now() {
    why_ = access::CloseReason::drain;
    answer();
  }

  // hub::Subscriber
  void deliver(const hub::Delivery& d) override;
  /// Answers with recovered: false for the channel and its new cursor.
  void on_stream_reset(std::string_view channel, const hub::Cursor& now) override;

 private:
  void on_history(size_t index, access::Outcome o, hub::HistoryResult r);
  void on_subscribed(size_t index, access::Outcome o, hub::SubscribeResult r);
  /// Records channel `index`'s answer; false when it was an error (already answered).
  bool take_answer(size_t index, bool has_since, bool recovered, const hub::Cursor& cursor,
                   const std::vector<hub::PubPtr>& pubs);
  void all_answered();
  void answer();
  void answer_error(access::Outcome o);
  void on_abort();
  /// Ends the subscriptions, the timer and the gauge, logs conn_close (a long-poll) with
  /// `why` unless a reason was set before; releases the self-reference later.
  void finish(access::CloseReason why);
  bool has_messages() const;

  http::HttpSession* session_;  // null once the connection closed
  http::HeldRef held_;          // our request on it (the session may have others pipelined)
  http::Context& ctx_;
  access::Gate& gate_;
  access::Client client_;
  net::Connection* conn_;
  StreamCursor cursor_;
  std::vector<std::optional<base::Cursor>> since_;
  std::vector<std::vector<base::SharedBuffer>> pushes_;  // per channel, offset order
  std::vector<std::string> unrecovered_;
  std::string allow_origin_;
  uint64_t wait_ms_;
  size_t waiting_ = 0;  // hub answers still due
  bool done_ = false;
  bool subscribed_ = false;
  bool answer_queued_ = false;
  bool counted_ = false;
  access::CloseReason why_ = access::CloseReason::none;  // set before answering (drain)
  uint64_t started_ms_ = 0;
  loop::Timer timer_;
  std::shared_ptr<PollRequest> self_;  // alive while held, whatever the hub keeps
};

/// Answers the long-polls held on `conn`, if any (SIGTERM drain); false when there is none.
bool drain_poll(net::Connection& conn);

}  // namespace herald::sse
