// SubState: one subscriber (or echo connection) across its connections - requests, readiness,
// delivery accounting, cursors for resuming, churn and reconnects.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/time.h"
#include "engine.h"
#include "udp_sub.h"
#include "ws_codec/frame.h"

namespace herald::bench {

namespace {

uint64_t to_ms(double seconds) {
  return seconds <= 0 ? 0 : uint64_t(seconds * 1000.0 + 0.5);
}

void send_text(Worker& w, net::Connection& c, std::string_view payload) {
  uint32_t m = w.next_mask();
  uint8_t key[4];
  std::memcpy(key, &m, 4);
  c.send(ws::encode_client_frame(ws::Opcode::text, payload, key));
}

// "E:N" -> epoch and offset; false when malformed.
bool split_cursor(std::string_view c, std::string* epoch, uint64_t* offset) {
  size_t colon = c.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto r = std::from_chars(c.data() + colon + 1, c.data() + c.size(), *offset);
  if (r.ec != std::errc()) return false;
  epoch->assign(c.substr(0, colon));
  return true;
}

}  // namespace

SubState::SubState(Worker& w, int index, int channel) : w_(w), index_(index), channel_(channel) {}

SubState::~SubState() = default;

void SubState::connect() {
  if (stopped_) return;
  if (w_.shared().transport == Transport::udp) {
    // The datagram session reopens its lease by itself (reset, lost datagrams): it starts once.
    // conn_ is only the HTTP connection that fetches announced publications.
    connect_start_ns_ = base::monotonic_ns();
    udp_ = std::make_unique<UdpSub>(w_, *this, w_.shared().channels[size_t(channel_)]->name);
    if (!udp_->start()) on_failure("cannot create a UDP socket");
    return;
  }
  Shared& sh = w_.shared();
  connect_start_ns_ = base::monotonic_ns();
  std::unique_ptr<net::ConnectionHandler> h;
  switch (sh.transport) {
    case Transport::ws: {
      std::string path = sh.sub_path;
      if (sh.target == Target::nchan) path += sh.channels[size_t(channel_)]->name;
      h = make_ws_handler(w_, this, nullptr, std::move(path), sh.target == Target::herald);
      break;
    }
    case Transport::echo:
      h = make_ws_handler(w_, this, nullptr, sh.sub_path, false);
      break;
    case Transport::sse:
      h = make_http_sub_handler(w_, *this, true);
      break;
    case Transport::longpoll:
    case Transport::poll:
      h = make_http_sub_handler(w_, *this, false);
      break;
    case Transport::udp:   // above: no connection to dial
    case Transport::http:  // not a bench transport: parse_transport never gives it
    case Transport::count:
      break;
  }
  conn_ = w_.dial(std::move(h));
  if (!conn_) {
    on_failure("cannot create a socket");
    schedule_reconnect(kReconnectDelayMs * 10);
  }
}

void SubState::connect_in(uint64_t delay_ms) {
  if (delay_ms == 0) return connect();
  timer_.start(w_.loop().timers(), delay_ms, [this] { connect(); });
}

void SubState::schedule_reconnect(uint64_t delay_ms) {
  if (stopped_) return;
  timer_.start(w_.loop().timers(), delay_ms, [this] {
    ++w_.counters().reconnects;
    connect();
  });
}

void SubState::churn() {
  if (stopped_ || udp_) return;  // a datagram session has no connection to churn
  if (conn_) {
    net::Connection* old = conn_;
    conn_ = nullptr;
    old->close();
  }
  timer_.stop();
  ++w_.counters().reconnects;
  connect();
  churn_timer_.restart(to_ms(w_.shared().opts->churn));
}

void SubState::shutdown() {
  stopped_ = true;
  timer_.stop();
  churn_timer_.stop();
  if (udp_) udp_->stop();
  if (conn_) conn_->close();  // conn_ is cleared by on_closed
}

void SubState::on_ready(uint64_t now_ns) {
  if (ever_ready_) return;
  ever_ready_ = true;
  w_.counters().connect_ns.record(now_ns > connect_start_ns_ ? now_ns - connect_start_ns_ : 0);
  w_.shared().ready.fetch_add(1, std::memory_order_relaxed);
  double churn_s = w_.shared().opts->churn;
  if (churn_s > 0 && w_.shared().transport != Transport::echo) {
    // Spread the first reconnects over one period so they do not all land together.
    uint64_t period = to_ms(churn_s);
    uint64_t first = period / 2 + (period * uint64_t(index_ % 97)) / 97 / 2 + 1;
    churn_timer_.start(w_.loop().timers(), first, [this] { churn(); });
  }
}

void SubState::on_failure(std::string what) {
  ++failures_;
  w_.counters().error(std::move(what));
}

void SubState::on_closed(net::Connection& c, std::error_code ec) {
  if (ec == std::errc::connection_refused) w_.shared().refused.fetch_add(1);
  // A refused handshake (an untrusted certificate, no common version) says why in the report.
  if (is_tls_error(ec)) w_.counters().error(ec.message());
  if (&c != conn_) return;  // an old connection (churn) finished closing
  conn_ = nullptr;
  if (stopped_ || w_.shared().stopping.load(std::memory_order_relaxed)) return;
  if (udp_) {
    // The fetch connection closed (idle keep-alive, or mid-answer): fetch what is left anew.
    fetch_inflight_ = false;
    if (!fetches_.empty())
      timer_.start(w_.loop().timers(), kReconnectDelayMs, [this] { send_fetch(); });
    return;
  }
  ++w_.counters().disconnects;
  schedule_reconnect(kReconnectDelayMs);
}

void SubState::on_message(const Delivered& d, uint64_t now_ns) {
  SeqTracker::Outcome o = tracker_.record(d.offset);
  if (o == SeqTracker::Outcome::duplicate || o == SeqTracker::Outcome::stale) return;
  Counters& k = w_.counters();
  if (d.t_ns && now_ns > d.t_ns) k.latency_ns.record(now_ns - d.t_ns);
  if (now_ns > k.last_delivery_ns) k.last_delivery_ns = now_ns;
  if (udp_) return udp_progress();
  highest.store(tracker_.highest(), std::memory_order_relaxed);
}

void SubState::udp_progress() {
  uint64_t through = udp_->contiguous();
  if (!fetches_.empty()) through = std::min(through, fetches_.front().second - 1);
  highest.store(through, std::memory_order_relaxed);
}

// ---- WebSocket --------------------------------------------------------------------------------

void SubState::on_ws_open(net::Connection& c, uint64_t now_ns) {
  Shared& sh = w_.shared();
  if (sh.transport == Transport::echo || sh.target != Target::herald) {
    on_ready(now_ns);
    if (sh.transport == Transport::echo && sh.echo_end_ns) send_echo(c);
    return;
  }
  std::string f = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"";
  f += sh.channels[size_t(channel_)]->name;
  f += '"';
  if (has_cursor_) {
    f += ",\"since\":\"";
    f += epoch_;
    f += ':';
    f += std::to_string(offset_);
    f += '"';
  }
  f += '}';
  send_text(w_, c, f);
}

void SubState::start_echo() {
  if (conn_ && ever_ready_ && !conn_->closing()) send_echo(*conn_);
}

void SubState::send_echo(net::Connection& c) {
  std::string msg;
  echo_sent_ns_ = base::monotonic_ns();
  append_payload(msg, echo_sent_ns_, 0, size_t(w_.shared().opts->payload));
  send_text(w_, c, msg);
}

void SubState::on_ws_message(std::string_view msg, uint64_t now_ns) {
  Shared& sh = w_.shared();
  Counters& k = w_.counters();
  if (sh.transport == Transport::echo) {
    if (now_ns > echo_sent_ns_) k.latency_ns.record(now_ns - echo_sent_ns_);
    ++k.round_trips;
    k.last_delivery_ns = now_ns;
    if (now_ns < sh.echo_end_ns && conn_) send_echo(*conn_);
    return;
  }
  Delivered d;
  if (sh.target == Target::herald && msg.substr(0, 6) == "{\"id\":") {
    // The subscribe reply: {"id":1,"result":{"cursor":"E:N"[,"recovered":B]}} or an error.
    std::string_view cur = find_string_field_last(msg, "\"cursor\"");
    std::string before = has_cursor_ ? epoch_ + ":" + std::to_string(offset_) : std::string();
    if (cur.empty() || !split_cursor(cur, &epoch_, &offset_)) {
      on_failure("subscribe refused: " + std::string(msg.substr(0, 200)));
      if (conn_) conn_->abort();
      return;
    }
    has_cursor_ = true;
    if (msg.find("\"recovered\":false") != std::string_view::npos) {
      ++k.unrecovered;
      count_skipped(before, cur);
    }
    on_ready(now_ns);
    return;
  }
  if (extract_delivered(msg, 0, &d) == std::string_view::npos) return;  // not a bench message
  if (d.has_offset) offset_ = d.offset;
  on_message(d, now_ns);
}

// ---- SSE ---------------------------------------------------------------------------------------

void SubState::on_sse_event(std::string_view event, std::string_view data, std::string_view id,
                            uint64_t now_ns) {
  if (event == "recovery") {
    // {"channel":"c","recovered":false,"cursor":"E:N"}: this stream goes on from E:N.
    ++w_.counters().unrecovered;
    count_skipped(cursor_, find_string_field_last(data, "\"cursor\""));
  }
  if (!id.empty()) cursor_.assign(id);
  if (event == "recovery") return;
  if (!event.empty() && event != "message") return;  // reconnect notices and the like
  Delivered d;
  if (extract_delivered(data, 0, &d) == std::string_view::npos) return;
  on_message(d, now_ns);
}

// ---- HTTP requests and polls -----------------------------------------------------------------

void SubState::build_request(std::string& out) {
  Shared& sh = w_.shared();
  const std::string& ch = sh.channels[size_t(channel_)]->name;
  if (udp_) {
    // An announced publication: the answer holds it and whatever followed (they came, or
    // will come, by datagram; on_poll_body keeps only the one asked for).
    const auto& [epoch, offset] = fetches_.front();
    out = "GET /poll?channel=" + ch + "&since=" + epoch + ":" + std::to_string(offset - 1) +
          "&wait=0 HTTP/1.1\r\nHost: " + sh.ep.host + "\r\n" + sh.auth_header + "\r\n";
    fetch_inflight_ = true;
    ++w_.counters().requests;
    return;
  }
  bool nchan = sh.target == Target::nchan;
  out = "GET ";
  out += sh.sub_path;
  if (nchan) {
    out += ch;
  } else {
    out += "?channel=";
    out += ch;
    if (!cursor_.empty()) {
      out += "&since=";
      out += cursor_;
    }
    if (sh.transport != Transport::sse) {
      out += "&wait=";
      // Without a cursor a long-poll would wait for the next message: ask for the cursor first.
      bool wait = sh.transport == Transport::longpoll && !cursor_.empty();
      out += wait ? std::string_view(sh.longpoll_wait) : std::string_view("0");
    }
  }
  out += " HTTP/1.1\r\nHost: ";
  out += sh.ep.host;
  out += "\r\n";
  if (sh.transport == Transport::sse) out += "Accept: text/event-stream\r\n";
  out += sh.auth_header;
  if (nchan && sh.transport == Transport::sse && !cursor_.empty()) {
    out += "Last-Event-ID: ";
    out += cursor_;
    out += "\r\n";
  }
  if (nchan && sh.transport == Transport::longpoll && !etag_.empty()) {
    out += "If-Modified-Since: ";
    out += last_modified_;
    out += "\r\nIf-None-Match: ";
    out += etag_;
    out += "\r\n";
  }
  out += "\r\n";
  if (sh.transport != Transport::sse) ++w_.counters().requests;
  if (sh.transport == Transport::poll) poll_sent_ns_ = base::monotonic_ns();
  // Nchan holds a long-poll without answering: the request sent is all the readiness there is.
  if (nchan && sh.transport == Transport::longpoll) on_ready(base::monotonic_ns());
}

void SubState::send_poll() {
  if (stopped_) return;
  if (!conn_) return connect();  // on_connected sends the request
  std::string req;
  build_request(req);
  conn_->send(req);
}

void SubState::fetch_announced(std::string_view epoch, uint64_t offset) {
  fetches_.emplace_back(std::string(epoch), offset);
  ++w_.counters().udp_fetches;
  if (!fetch_inflight_) send_fetch();
}

void SubState::send_fetch() {
  if (stopped_ || fetches_.empty() || fetch_inflight_) return;
  if (!conn_) {  // on_connected sends the request
    conn_ = w_.dial(make_http_sub_handler(w_, *this, false));
    if (!conn_) on_failure("cannot create a socket");
    fetch_inflight_ = conn_ != nullptr;
    return;
  }
  std::string req;
  build_request(req);
  conn_->send(req);
}

void SubState::on_poll_body(const PollAnswer& a, uint64_t now_ns) {
  Shared& sh = w_.shared();
  std::string_view body = a.body;
  if (udp_) {
    fetch_inflight_ = false;
    if (fetches_.empty()) return;
    uint64_t want = fetches_.front().second;
    bool found = false;
    size_t pos = 0;
    Delivered d;
    // The answer holds everything after the first announced offset: take every announced one
    // it carries, so a burst of large publications costs one request, not one each.
    while (a.status == 200 && (pos = extract_delivered(body, pos, &d)) != std::string_view::npos) {
      if (!d.has_offset) continue;
      auto it = std::find_if(fetches_.begin(), fetches_.end(),
                             [&d](const auto& f) { return f.second == d.offset; });
      if (it == fetches_.end()) continue;
      found = found || d.offset == want;
      fetches_.erase(it);
      on_message(d, now_ns);
    }
    // Not there: history moved past it between the announce and the fetch; it is lost like a
    // recovered:false answer says.
    if (!found) {
      fetches_.pop_front();
      if (a.status != 200) on_failure("fetch answered " + std::to_string(a.status));
      ++w_.counters().unrecovered;
      ++w_.counters().unrecovered_messages;
    }
    if (!a.keep_alive && conn_) {
      net::Connection* old = conn_;
      conn_ = nullptr;
      old->close();
    }
    udp_progress();
    return send_fetch();
  }
  if (!a.keep_alive && conn_) {
    // The server closes this connection after its answer: the next poll dials a new one
    // (send_poll), and the old one's close is not a disconnect (on_closed ignores it).
    net::Connection* old = conn_;
    conn_ = nullptr;
    old->close();
  }
  bool nchan = sh.target == Target::nchan;
  uint64_t next_ms = sh.transport == Transport::poll ? to_ms(sh.opts->poll_interval) : 0;
  if (nchan) {
    if (a.status == 200) {
      etag_.assign(a.etag);
      last_modified_.assign(a.last_modified);
      Delivered d;
      if (extract_delivered(body, 0, &d) != std::string_view::npos) on_message(d, now_ns);
    } else if (a.status != 304 && a.status != 408) {
      on_failure("poll answered " + std::to_string(a.status));
      next_ms = std::max<uint64_t>(next_ms, kReconnectDelayMs);
    }
  } else if (a.status == 200) {
    size_t pos = 0;
    Delivered d;
    while ((pos = extract_delivered(body, pos, &d)) != std::string_view::npos)
      on_message(d, now_ns);
    // On recovered:false the server skipped what its history no longer holds and answered
    // with its current cursor: go on from there (re-sending the old cursor would be refused
    // again at every poll) and count the skipped messages, which never arrive, as lost.
    std::string_view cur = find_string_field_last(body, "\"cursor\"");
    if (body.find("\"recovered\":false") != std::string_view::npos) {
      ++w_.counters().unrecovered;
      count_skipped(cursor_, cur);
    }
    if (!cur.empty()) cursor_.assign(cur);
    on_ready(now_ns);
  } else {
    on_failure("poll answered " + std::to_string(a.status));
    next_ms = std::max<uint64_t>(next_ms, kReconnectDelayMs);
  }
  // Short polls keep their period (a client's setInterval), measured from when the last poll
  // was sent: waiting a full interval after each answer would stretch the period by the round
  // trip, and past history_size messages per period every poll comes back recovered:false.
  if (sh.transport == Transport::poll && a.status == 200 && poll_sent_ns_ > 0) {
    uint64_t spent_ms = (now_ns > poll_sent_ns_ ? now_ns - poll_sent_ns_ : 0) / 1'000'000u;
    next_ms = next_ms > spent_ms ? next_ms - spent_ms : 0;
  }
  if (next_ms == 0) return send_poll();
  timer_.start(w_.loop().timers(), next_ms, [this] { send_poll(); });
}

void SubState::count_skipped(std::string_view from, std::string_view to) {
  std::string e0, e1;
  uint64_t o0 = 0, o1 = 0;
  if (!split_cursor(from, &e0, &o0) || !split_cursor(to, &e1, &o1)) return;
  // A new epoch means the stream itself was lost: its offsets do not continue ours.
  if (e0 == e1 && o1 > o0) w_.counters().unrecovered_messages += o1 - o0;
}

}  // namespace herald::bench
