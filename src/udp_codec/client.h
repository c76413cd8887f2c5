#pragma once
// The client side of herald's UDP datagram protocol as a pure state machine (no I/O, no clock
// of its own): the caller feeds it received datagrams and the time, and it answers through a
// Sink - datagrams to send, and what the application should see. herald sub and herald bench
// drive it over a socket on their loops; tests drive it with byte vectors.
//
// What it does (docs/protocol.md, "UDP datagrams"): hello -> cookie -> open (with a token or
// anonymous) -> subscribe every channel with its cursor; publications are deduplicated by
// offset with a StreamTracker per channel, gaps are asked for with resend after a short
// reorder wait, a quiet channel is probed for a lost tail (a resend after its contiguous
// prefix answers the stream's cursor), the lease is renewed before it lapses, and a `reset`
// (the lease is gone: expired, or the client's address changed) opens a new lease and
// subscribes again from each channel's cursor. Unanswered handshake steps are sent again.
//
// Every offset reaches the application once: on_publication / on_announce fire only for an
// offset's first arrival; an announce is for the application to fetch over HTTP (/poll).
// What history no longer holds is reported once through on_lost, and the stream goes on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "udp_codec/datagram.h"
#include "udp_codec/tracker.h"

namespace herald::udp_codec {

/// An unanswered hello, open or subscribe is sent again after this long.
inline constexpr uint64_t kClientRetryMs = 500;
/// A gap may only be reordering for this long before it is asked for.
inline constexpr uint64_t kClientReorderMs = 20;
/// A gap already asked for is asked again after this long (the resend or its answer was lost).
inline constexpr uint64_t kClientResendRetryMs = 200;
/// Resend requests one tick sends at most, per channel.
inline constexpr size_t kClientMaxRanges = 8;
/// A channel silent for this long is probed for a lost tail; the wait doubles while nothing
/// new arrives, up to a third of the lease.
inline constexpr uint64_t kClientTailProbeMs = 250;
/// Epochs a channel remembers having left (a late datagram of one is ignored).
inline constexpr size_t kClientRetiredEpochs = 4;
/// Resend requests remembered to tell which range an answer was for.
inline constexpr size_t kClientMaxPendingResends = 256;

class ClientSession {
 public:
  /// Where the session's output goes. Called from inside start / on_datagram / tick only.
  class Sink {
   public:
    /// One datagram to send to the server.
    virtual void send(std::string_view datagram) = 0;
    /// The lease is open (the first time and after every reset).
    virtual void on_opened(uint32_t lease_ms, uint16_t max_datagram) {}
    /// Channel `index` is subscribed; `epoch:offset` is the stream's cursor then; flags as in
    /// the datagram (kFlagHadSince, kFlagRecovered).
    virtual void on_subscribed(size_t index, std::string_view epoch, uint64_t offset,
                               uint8_t flags) {}
    /// The first arrival of a publication. `fill`: it was missing when it came (a gap fill
    /// or a late datagram).
    virtual void on_publication(size_t index, std::string_view epoch, uint64_t offset,
                                std::string_view data, bool fill) = 0;
    /// The same for a binary publication (kHeaderBinary): `bytes` are its payload, not JSON
    /// text. By default handed to on_publication, for sinks that only count offsets.
    virtual void on_binary_publication(size_t index, std::string_view epoch, uint64_t offset,
                                       std::string_view bytes, bool fill) {
      on_publication(index, epoch, offset, bytes, fill);
    }
    /// The first arrival of an announce: fetch `offset` over HTTP
    /// (/poll?channel=C&since=EPOCH:OFFSET-1).
    virtual void on_announce(size_t index, std::string_view epoch, uint64_t offset, uint32_t size,
                             bool fill) = 0;
    /// Channel `index` jumps from `epoch:after` to `through`: `count` offsets in between that
    /// had not arrived are gone from the server's history (or the stream restarted, a new
    /// epoch) and will never arrive.
    virtual void on_lost(size_t index, std::string_view epoch, uint64_t after, uint64_t through,
                         uint64_t count) {}
    /// An error answer. `index` is the channel whose subscribe was refused, or npos for the
    /// lease (id 0: token expired, server shutting down) and other requests.
    virtual void on_error(size_t index, uint16_t code, std::string_view message) = 0;

   protected:
    ~Sink() = default;
  };

  static constexpr size_t npos = size_t(-1);

  /// One channel to subscribe; an empty epoch subscribes from now, else from the cursor
  /// `epoch:offset` (the last offset the client has).
  struct Channel {
    std::string name;
    std::string epoch;
    uint64_t offset = 0;
  };

  /// What the session did, for reports.
  struct Stats {
    uint64_t sent = 0, received = 0;              // datagrams
    uint64_t bytes_sent = 0, bytes_received = 0;  // UDP payload bytes
    uint64_t undecodable = 0;      // received datagrams that did not decode or were not ours
    uint64_t duplicates = 0;       // publications that arrived again (dropped)
    uint64_t fills = 0;            // publications that arrived while missing
    uint64_t resend_requests = 0;  // resend datagrams sent for gaps
    uint64_t tail_probes = 0;      // resend datagrams sent to find a lost tail
    uint64_t keepalives = 0;
    uint64_t retries = 0;  // hello / open / subscribe sent again
    uint64_t resets = 0;   // leases lost (reset received) and opened again
    uint64_t lost = 0;     // offsets reported through on_lost
  };

  /// `session` is the client's random 64-bit session number (not 0); `token` a JWT or empty
  /// (anonymous). `sink` must outlive the session.
  ClientSession(uint64_t session, std::string token, std::vector<Channel> channels, Sink& sink);

  /// Sends the hello.
  void start(uint64_t now_ms);
  /// One datagram from the server.
  void on_datagram(std::string_view datagram, uint64_t now_ms);
  /// Timers: retries, resends, tail probes, keepalive. Call every few milliseconds (a loop's
  /// timer tick); the session does nothing that is not due.
  void tick(uint64_t now_ms);
  /// Sends `close` (the lease ends at once) and stops answering.
  void close();

  bool open() const { return state_ == State::open; }
  bool closed() const { return state_ == State::closed; }
  /// True once every channel has been subscribed at least once.
  bool all_subscribed() const;
  const StreamTracker& tracker(size_t index) const { return chans_[index].tracker; }
  size_t channels() const { return chans_.size(); }
  const std::string& channel_name(size_t index) const { return chans_[index].name; }
  const Stats& stats() const { return stats_; }
  /// The lease time the server gave (0 before the first `opened`).
  uint32_t lease_ms() const { return lease_ms_; }

 private:
  enum class State : uint8_t { hello, opening, open, closed };

  struct Chan {
    std::string name;
    std::string since_epoch;  // the cursor to (re)subscribe from until the tracker starts
    uint64_t since_offset = 0;
    StreamTracker tracker;
    bool subscribed = false;       // answered in this lease
    bool ever_subscribed = false;  // answered in any lease
    uint64_t sub_sent_ms = 0;
    uint64_t last_fresh_ms = 0;  // last new publication (or subscribe answer)
    uint64_t probe_wait_ms = kClientTailProbeMs;
    uint64_t probe_ms = 0;             // last tail probe
    std::vector<std::string> retired;  // epochs this channel left, newest last
  };
  struct PendingResend {
    uint32_t id;
    size_t index;
    uint64_t after;
    uint16_t count;
  };

  void send(const Message& m);
  void send_keepalive();
  Message base(Type t) const;
  void send_hello(uint64_t now_ms);
  void send_open(uint64_t now_ms);
  void send_subscribe(size_t i, uint64_t now_ms);
  void send_resend(size_t i, uint64_t after, uint16_t count, bool probe);
  void on_subscribed(const Message& m, uint64_t now_ms);
  void on_publication(const Message& m, uint64_t now_ms);
  void on_resent(const Message& m, uint64_t now_ms);
  /// Starts channel `i` over at `epoch:offset` after reporting what is lost in between.
  /// Channel `i` goes on at `epoch:offset` (a stream restarted, or not recovered): reports what
  /// is lost; never moves back within an epoch nor back to an epoch it left (false then).
  bool restart(size_t i, std::string_view epoch, uint64_t offset);
  size_t index_of(std::string_view channel) const;

  uint64_t session_;
  std::string token_;
  std::vector<Chan> chans_;
  Sink& sink_;
  State state_ = State::hello;
  Cookie cookie_{};
  uint64_t step_sent_ms_ = 0;  // hello / open sent
  uint64_t last_sent_ms_ = 0;  // any request (renews the lease)
  uint32_t lease_ms_ = 0;
  uint32_t next_id_ = 0;  // ids above the channel count: keepalives and resends
  std::vector<PendingResend> resends_;
  std::vector<StreamTracker::Range> ranges_;
  std::string out_;
  uint64_t now_ms_ = 0;  // the time of the current call
  Stats stats_;
};

}  // namespace herald::udp_codec
