#include "udp_codec/client.h"

#include <algorithm>

namespace herald::udp_codec {

ClientSession::ClientSession(uint64_t session, std::string token, std::vector<Channel> channels,
                             Sink& sink)
    : session_(session), token_(std::move(token)), sink_(sink) {
  for (Channel& c : channels) {
    Chan ch;
    ch.name = std::move(c.name);
    ch.since_epoch = std::move(c.epoch);
    ch.since_offset = c.offset;
    chans_.push_back(std::move(ch));
  }
  next_id_ = uint32_t(chans_.size()) + 1;  // ids 1..N are the channels' subscribes
}

// ---- sending ----------------------------------------------------------------------------------

Message ClientSession::base(Type t) const {
  Message m;
  m.type = t;
  m.session = session_;
  return m;
}

void ClientSession::send(const Message& m) {
  out_.clear();
  encode(m, &out_);
  ++stats_.sent;
  stats_.bytes_sent += out_.size();
  last_sent_ms_ = now_ms_;
  sink_.send(out_);
}

void ClientSession::send_hello(uint64_t now_ms) {
  state_ = State::hello;
  step_sent_ms_ = now_ms;
  Message m = base(Type::hello);
  m.padding = kHelloMinBytes;
  send(m);
}

void ClientSession::send_open(uint64_t now_ms) {
  state_ = State::opening;
  step_sent_ms_ = now_ms;
  Message m = base(Type::open);
  m.cookie = cookie_;
  m.token = token_;
  send(m);
}

void ClientSession::send_subscribe(size_t i, uint64_t now_ms) {
  Chan& c = chans_[i];
  c.sub_sent_ms = now_ms;
  Message m = base(Type::subscribe);
  m.id = uint32_t(i + 1);
  m.channel = c.name;
  // Once the stream is known, resubscribing (after a reset) resumes from the contiguous
  // prefix: the server replays what followed, and the tracker drops what already arrived.
  if (c.tracker.started()) {
    m.epoch = c.tracker.epoch();
    m.offset = c.tracker.contiguous();
  } else {
    m.epoch = c.since_epoch;
    m.offset = c.since_epoch.empty() ? 0 : c.since_offset;
  }
  send(m);
}

void ClientSession::send_resend(size_t i, uint64_t after, uint16_t count, bool probe) {
  Chan& c = chans_[i];
  Message m = base(Type::resend);
  m.id = next_id_++;
  if (next_id_ == 0) next_id_ = uint32_t(chans_.size()) + 1;
  m.channel = c.name;
  m.epoch = c.tracker.epoch();
  m.offset = after;
  m.count = count;
  if (resends_.size() == kClientMaxPendingResends) resends_.erase(resends_.begin());
  resends_.push_back(PendingResend{m.id, i, after, count});
  ++(probe ? stats_.tail_probes : stats_.resend_requests);
  send(m);
}

void ClientSession::send_keepalive() {
  Message m = base(Type::keepalive);
  m.id = next_id_++;
  if (next_id_ == 0) next_id_ = uint32_t(chans_.size()) + 1;
  ++stats_.keepalives;
  send(m);
}

void ClientSession::start(uint64_t now_ms) {
  now_ms_ = now_ms;
  send_hello(now_ms);
}

void ClientSession::close() {
  if (state_ == State::open || state_ == State::opening) send(base(Type::close));
  state_ = State::closed;
}

bool ClientSession::all_subscribed() const {
  return std::all_of(chans_.begin(), chans_.end(), [](const Chan& c) { return c.ever_subscribed; });
}

size_t ClientSession::index_of(std::string_view channel) const {
  for (size_t i = 0; i < chans_.size(); ++i)
    if (chans_[i].name == channel) return i;
  return npos;
}

// ---- receiving --------------------------------------------------------------------------------

void ClientSession::on_datagram(std::string_view d, uint64_t now_ms) {
  now_ms_ = now_ms;
  Message m;
  if (state_ == State::closed) return;
  if (decode(d, &m) != DecodeError::ok || m.session != session_ || from_client(m.type)) {
    ++stats_.undecodable;
    return;
  }
  ++stats_.received;
  stats_.bytes_received += d.size();
  switch (m.type) {
    case Type::cookie:
      // The answer to a hello, or to an open whose cookie went stale: open with this one.
      if (state_ == State::open) return;
      cookie_ = m.cookie;
      return send_open(now_ms);
    case Type::opened:
      if (state_ != State::opening) return;  // a repeated answer
      state_ = State::open;
      lease_ms_ = m.lease_ms;
      sink_.on_opened(m.lease_ms, m.max_datagram);
      for (size_t i = 0; i < chans_.size(); ++i) {
        chans_[i].subscribed = false;
        send_subscribe(i, now_ms);
      }
      return;
    case Type::subscribed:
      return on_subscribed(m, now_ms);
    case Type::pub:
    case Type::announce:
      return on_publication(m, now_ms);
    case Type::resent:
      return on_resent(m, now_ms);
    case Type::lease:
      lease_ms_ = m.lease_ms;
      return;
    case Type::error: {
      size_t i = m.id >= 1 && m.id <= chans_.size() ? size_t(m.id - 1) : npos;
      if (m.id == 0) state_ = State::closed;  // not an answer: the lease ended
      sink_.on_error(i, m.code, m.message);
      return;
    }
    case Type::reset:
      // The server holds no lease for us (expired, or our address changed): open a new one;
      // `opened` then subscribes every channel again from its cursor.
      if (state_ != State::open && state_ != State::opening) return;
      ++stats_.resets;
      return send_hello(now_ms);
    default:  // published, ok: nothing to do
      return;
  }
}

void ClientSession::on_subscribed(const Message& m, uint64_t now_ms) {
  size_t i = index_of(m.channel);
  if (i == npos) return;
  Chan& c = chans_[i];
  c.last_fresh_ms = now_ms;
  c.probe_wait_ms = kClientTailProbeMs;
  if (c.subscribed) {  // a repeated answer (our retry crossed the first one)
    if (m.epoch == c.tracker.epoch()) c.tracker.extend(m.offset);
    return;
  }
  c.subscribed = true;
  c.ever_subscribed = true;
  bool recovered = (m.flags & kFlagRecovered) != 0;
  bool cursor_lost = false;  // the caller's cursor was not honoured (told after subscribed)
  uint64_t gone = 0;
  if (c.tracker.started()) {
    // A resubscribe after a reset, from the contiguous prefix.
    if (recovered && m.epoch == c.tracker.epoch()) {
      c.tracker.extend(m.offset);
    } else {
      restart(i, m.epoch, m.offset);
    }
  } else if (!c.since_epoch.empty()) {
    // The first subscribe, from the caller's cursor.
    if (recovered && m.epoch == c.since_epoch) {
      c.tracker.reset(c.since_epoch, c.since_offset);
      c.tracker.extend(m.offset);
    } else {
      gone = m.epoch == c.since_epoch && m.offset > c.since_offset ? m.offset - c.since_offset : 0;
      stats_.lost += gone;
      cursor_lost = true;
      c.tracker.reset(m.epoch, m.offset);
    }
  } else {
    c.tracker.reset(m.epoch, m.offset);
  }
  sink_.on_subscribed(i, m.epoch, m.offset, m.flags);
  if (cursor_lost) sink_.on_lost(i, c.since_epoch, c.since_offset, m.offset, gone);
}

bool ClientSession::restart(size_t i, std::string_view epoch, uint64_t offset) {
  Chan& c = chans_[i];
  if (epoch == c.tracker.epoch()) {
    // The same stream, not recovered: it goes on at `offset`, never back (what is below was
    // delivered already).
    if (offset <= c.tracker.contiguous()) return true;
    uint64_t from = c.tracker.contiguous(), before = c.tracker.missing();
    c.tracker.skip_to(offset);
    uint64_t gone = before - c.tracker.missing();
    stats_.lost += gone;
    sink_.on_lost(i, epoch, from, offset, gone);
    return true;
  }
  // A datagram of a stream we already left (late, reordered) must not take us back to it.
  if (std::find(c.retired.begin(), c.retired.end(), epoch) != c.retired.end()) return false;
  uint64_t gone = c.tracker.missing();
  stats_.lost += gone;
  sink_.on_lost(i, c.tracker.epoch(), c.tracker.contiguous(), c.tracker.end(), gone);
  if (c.retired.size() == kClientRetiredEpochs) c.retired.erase(c.retired.begin());
  c.retired.push_back(c.tracker.epoch());
  c.tracker.reset(epoch, offset);
  return true;
}

void ClientSession::on_publication(const Message& m, uint64_t now_ms) {
  size_t i = index_of(m.channel);
  if (i == npos) return;
  Chan& c = chans_[i];
  if (!c.tracker.started()) return;  // overtook the subscribe answer: a resend finds it
  bool missing = m.offset <= c.tracker.end();
  StreamTracker::Verdict v = c.tracker.add(m.epoch, m.offset);
  if (v == StreamTracker::Verdict::other_epoch) {
    // The stream restarted under a new epoch (docs/protocol.md: a stream that cannot
    // continue): what was missing of the old one is gone.
    if (!restart(i, m.epoch, m.offset > 0 ? m.offset - 1 : 0)) return;
    missing = false;
    v = c.tracker.add(m.epoch, m.offset);
  }
  if (v == StreamTracker::Verdict::duplicate) ++stats_.duplicates;
  if (v != StreamTracker::Verdict::fresh) return;
  if (missing) ++stats_.fills;
  c.last_fresh_ms = now_ms;
  c.probe_wait_ms = kClientTailProbeMs;
  if (m.type == Type::pub && m.binary) {
    sink_.on_binary_publication(i, m.epoch, m.offset, m.data, missing);
  } else if (m.type == Type::pub) {
    sink_.on_publication(i, m.epoch, m.offset, m.data, missing);
  } else {
    sink_.on_announce(i, m.epoch, m.offset, m.size, missing);
  }
}

void ClientSession::on_resent(const Message& m, uint64_t now_ms) {
  PendingResend asked{0, npos, 0, 0};
  for (auto it = resends_.begin(); it != resends_.end(); ++it) {
    if (it->id == m.id) {
      asked = *it;
      resends_.erase(it);
      break;
    }
  }
  size_t i = index_of(m.channel);
  if (i == npos || !chans_[i].tracker.started()) return;
  Chan& c = chans_[i];
  if (m.epoch != c.tracker.epoch()) {
    restart(i, m.epoch, m.offset);
    return;
  }
  c.tracker.extend(m.offset);
  if ((m.flags & kFlagRecovered) || asked.index != i) return;
  // History no longer reaches back to what was asked: the publications it sent came before
  // this answer, and whatever of the range is still missing will never come.
  uint64_t through = std::min<uint64_t>(asked.after + asked.count, m.offset);
  if (through <= c.tracker.contiguous()) return;
  uint64_t before = c.tracker.missing();
  uint64_t from = c.tracker.contiguous();
  c.tracker.skip_to(through);
  uint64_t gone = before - c.tracker.missing();
  stats_.lost += gone;
  sink_.on_lost(i, c.tracker.epoch(), from, through, gone);
  (void)now_ms;
}

// ---- timers -----------------------------------------------------------------------------------

void ClientSession::tick(uint64_t now_ms) {
  now_ms_ = now_ms;
  switch (state_) {
    case State::closed:
      return;
    case State::hello:
      if (now_ms >= step_sent_ms_ + kClientRetryMs) ++stats_.retries, send_hello(now_ms);
      return;
    case State::opening:
      if (now_ms >= step_sent_ms_ + kClientRetryMs) ++stats_.retries, send_open(now_ms);
      return;
    case State::open:
      break;
  }
  uint64_t probe_cap = std::max<uint64_t>(kClientTailProbeMs, lease_ms_ / 3);
  for (size_t i = 0; i < chans_.size(); ++i) {
    Chan& c = chans_[i];
    if (!c.subscribed) {
      if (now_ms >= c.sub_sent_ms + kClientRetryMs) ++stats_.retries, send_subscribe(i, now_ms);
      continue;
    }
    if (!c.tracker.started()) continue;
    ranges_.clear();
    c.tracker.due_resends(now_ms, kClientReorderMs, kClientResendRetryMs, kMaxResendCount,
                          kClientMaxRanges, &ranges_);
    for (const auto& r : ranges_) send_resend(i, r.after, r.count, false);
    // Nothing missing that we know of, but silence: the last publications may have been lost
    // (no later one reveals the gap). A resend after the prefix answers the stream's cursor.
    if (c.tracker.complete() && now_ms >= std::max(c.last_fresh_ms, c.probe_ms) + c.probe_wait_ms) {
      c.probe_ms = now_ms;
      c.probe_wait_ms = std::min(c.probe_wait_ms * 2, probe_cap);
      send_resend(i, c.tracker.contiguous(), 1, true);
    }
  }
  // Any request renews the lease; keep one going well inside it.
  if (lease_ms_ > 0 && now_ms >= last_sent_ms_ + lease_ms_ / 3) send_keepalive();
}

}  // namespace herald::udp_codec
