// The run itself: connect (with ramp-up), wait until every subscriber is ready, snapshot the
// counters and the server, publish, drain, snapshot again, stop, then account per subscriber.
#include "runner.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "base/time.h"
#include "engine.h"
#include "live_line.h"
#include "net/listener.h"
#include "probe.h"
#include "tools/netlab/condition.h"
#include "udp_sub.h"

namespace herald::bench {

namespace {

constexpr uint64_t kWaitStepMs = 10;
// Between "every subscriber ready" and the first publish: lets the client loops settle.
constexpr uint64_t kSettleMs = 200;
// One channel-info request to Nchan (connect, answer) may take this long.
constexpr int kNchanInfoMs = 2000;
// Extra time publishers get to collect their last answers after the publishing deadline.
constexpr double kPublishSlackSec = 30;
// How long the graceful close of every client may take at the end of a run.
constexpr uint64_t kCloseWaitMs = 3000;

void sleep_ms(uint64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// The CPUs this process may run on (taskset, cgroup cpusets), ascending.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  return cpus_in(set);
}

// Nchan's count of subscribers on `channel` (GET on its publisher location answers the
// channel's info), or -1 when it cannot be asked. 0 for a channel Nchan does not know (404).
int nchan_subscribers(const Endpoint& ep, const std::string& channel) {
  auto fd = net::connect_tcp(ep.addr);
  if (!fd) return -1;
  int result = -1;
  pollfd p{*fd, POLLOUT, 0};
  std::string req = "GET /pub?id=" + channel + " HTTP/1.1\r\nHost: " + ep.host +
                    "\r\nAccept: text/json\r\nConnection: close\r\n\r\n";
  std::string in;
  uint64_t deadline = base::monotonic_ns() + uint64_t(kNchanInfoMs) * 1'000'000u;
  size_t sent = 0;
  while (true) {
    uint64_t now = base::monotonic_ns();
    if (now >= deadline) break;
    int left_ms = int((deadline - now) / 1'000'000u) + 1;
    if (::poll(&p, 1, left_ms) != 1) break;
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(*fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      if (n > 0) sent += size_t(n);
      if (sent == req.size()) p.events = POLLIN;
      continue;
    }
    char buf[4096];
    ssize_t n = ::recv(*fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // the answer ends with the close we asked for
    in.append(buf, size_t(n));
  }
  ::close(*fd);
  uint64_t count = 0;
  if (in.starts_with("HTTP/1.1 404")) {
    result = 0;
  } else if (in.starts_with("HTTP/1.1 200") &&
             scan_uint(in, "\"subscribers\":", 0, &count) != std::string_view::npos) {
    result = int(count);
  }
  return result;
}

// Nchan acknowledges nothing when it takes a long-poll subscriber (the request sent is all
// the client knows), and under load it may register the request after the first publication,
// which then never reaches that subscriber. Ask Nchan itself until every channel counts the
// subscribers sent to it; false when that did not happen by `deadline_ns`.
bool wait_nchan_subscribed(const Shared& sh, const Endpoint& ep, int subscribers,
                           uint64_t deadline_ns) {
  int nch = int(sh.channels.size());
  for (int c = 0; c < nch; ++c) {
    int want = subscribers / nch + (c < subscribers % nch ? 1 : 0);  // subscriber i is on i % nch
    while (nchan_subscribers(ep, sh.channels[size_t(c)]->name) < want) {
      if (base::monotonic_ns() >= deadline_ns) return false;
      sleep_ms(kWaitStepMs);
    }
  }
  return true;
}

// Runs fn on every worker's loop thread and waits until all have run it.
template <typename Fn>
void on_all(std::vector<std::unique_ptr<Worker>>& ws, Fn fn) {
  std::atomic<size_t> left{ws.size()};
  for (auto& w : ws) {
    Worker* wp = w.get();
    wp->loop().post([wp, &fn, &left] {
      fn(*wp);
      left.fetch_sub(1);
    });
  }
  while (left.load() > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

struct Snapshot {
  uint64_t sub_in = 0, sub_out = 0, pub_in = 0, pub_out = 0, requests = 0;
};

Snapshot snapshot(std::vector<std::unique_ptr<Worker>>& ws) {
  std::vector<Snapshot> per(ws.size());
  on_all(ws, [&per](Worker& w) {
    Snapshot& s = per[size_t(w.index())];
    w.live_bytes(&s.sub_in, &s.sub_out, &s.pub_in, &s.pub_out);
    const Counters& c = w.counters();
    s.sub_in += c.sub_in, s.sub_out += c.sub_out, s.pub_in += c.pub_in, s.pub_out += c.pub_out;
    s.requests = c.requests;
  });
  Snapshot t;
  for (const Snapshot& s : per) {
    t.sub_in += s.sub_in, t.sub_out += s.sub_out, t.pub_in += s.pub_in, t.pub_out += s.pub_out;
    t.requests += s.requests;
  }
  return t;
}

std::string run_tag() {
  std::random_device rd;
  static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 6; ++i) s += kAlnum[rd() % 36];
  return s;
}

// The sum of every subscriber's highest offset: moves whenever anything new is delivered.
uint64_t delivered_so_far(std::vector<std::unique_ptr<Worker>>& ws) {
  uint64_t sum = 0;
  for (auto& w : ws)
    for (auto& s : w->subs()) sum += s->highest.load(std::memory_order_relaxed);
  return sum;
}

bool all_caught_up(Shared& sh, std::vector<std::unique_ptr<Worker>>& ws) {
  for (auto& w : ws) {
    for (auto& s : w->subs()) {
      uint64_t last = sh.channels[size_t(s->channel())]->last.load();
      if (last == 0) continue;
      if (s->highest.load(std::memory_order_relaxed) < last) return false;
    }
  }
  return true;
}

void progress(const BenchOptions& o, const char* fmt, const std::string& a, long b, long c) {
  if (o.quiet) return;
  std::fprintf(stderr, fmt, a.c_str(), b, c);
}

TransportResult run_one(const BenchOptions& o, Transport t, Target target, const Endpoint& ep,
                        bool* unreachable, const RunEnv* env) {
  TransportResult r;
  r.transport = transport_name(t);
  r.target = o.target;
  r.subscribers = o.subscribers;
  Shared sh;
  sh.opts = &o;
  sh.transport = t;
  sh.target = target;
  sh.ep = ep;
  // Publishers connect to --publish-url (another node of a cluster) when given, and from the
  // lab's server namespace when the run is impaired.
  sh.pub_ep = o.publish_url.empty() ? ep : *parse_url(o.publish_url);
  sh.publisher_addr = sh.pub_ep.addr;
  if (env && env->publisher_netns >= 0) {
    sh.publisher_netns = env->publisher_netns;
    sh.publisher_addr = env->publisher_addr;
  }
  sh.longpoll_wait = format_seconds(o.longpoll_wait);
  if (!o.token.empty() && target != Target::nchan)
    sh.auth_header = "Authorization: Bearer " + o.token + "\r\n";
  switch (t) {
    case Transport::ws:
      sh.sub_path = target == Target::nchan ? "/sub/" : "/ws";
      break;
    case Transport::sse:
      sh.sub_path = target == Target::nchan ? "/sub/" : "/sse";
      break;
    case Transport::longpoll:
    case Transport::poll:
      sh.sub_path = target == Target::nchan ? "/sub/" : "/poll";
      break;
    case Transport::echo:
      sh.sub_path = ep.path.empty() ? "/ws/echo" : ep.path;
      break;
    case Transport::udp:  // datagrams to the same port; announced publications over /poll
      sh.sub_path = "/poll";
      break;
    case Transport::http:  // not a bench transport: parse_transport never gives it
    case Transport::count:
      break;
  }
  std::string tag = run_tag();
  for (int i = 0; i < std::max(1, o.channels); ++i) {
    auto c = std::make_unique<ChannelState>();
    if (target == Target::nchan) {
      c->name = "bench_" + tag + "_" + r.transport + "_" + std::to_string(i);
    } else {
      c->name = o.channel_prefix + "-" + tag + "-" + r.transport + "-" + std::to_string(i);
    }
    sh.channels.push_back(std::move(c));
  }

  std::vector<int> allowed = allowed_cpus();
  int ncpu = std::max(1, int(allowed.size()));
  int publishers = t == Transport::echo ? 0 : o.publishers;
  int nthreads = o.threads > 0 ? o.threads : ncpu;
  nthreads = std::max(1, std::min(nthreads, o.subscribers + publishers));
  std::vector<std::unique_ptr<Worker>> ws;
  for (int i = 0; i < nthreads; ++i) ws.push_back(std::make_unique<Worker>(sh, i));
  for (int i = 0; i < o.subscribers; ++i) {
    Worker& w = *ws[size_t(i % nthreads)];
    w.subs().push_back(std::make_unique<SubState>(w, i, i % int(sh.channels.size())));
  }
  // Publishers start on the last loops so the first ones are not doubly loaded.
  for (int i = 0; i < publishers; ++i) {
    Worker& w = *ws[size_t(nthreads - 1 - (i % nthreads))];
    w.pubs().push_back(std::make_unique<PubState>(w, i));
  }

  std::vector<std::thread> threads;
  for (auto& w : ws) {
    Worker* wp = w.get();
    int cpu = o.pin ? cpu_for_loop(allowed, wp->index()) : -1;
    r.loop_cpus.push_back(cpu);
    threads.emplace_back([wp, cpu] {
      if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
      }
      wp->loop().run();
    });
  }

  // 1. Connect, spread over the ramp-up.
  uint64_t ramp_ms = uint64_t(o.ramp_up * 1000);
  on_all(ws, [&](Worker& w) {
    for (size_t k = 0; k < w.subs().size(); ++k) {
      uint64_t i = uint64_t(w.index()) + uint64_t(k) * uint64_t(nthreads);
      w.subs()[k]->connect_in(o.subscribers ? ramp_ms * i / uint64_t(o.subscribers) : 0);
    }
    for (auto& p : w.pubs()) p->connect();
  });
  uint64_t t0 = base::monotonic_ns();
  uint64_t connect_deadline = t0 + uint64_t((o.connect_timeout + o.ramp_up) * 1e9);
  long last_shown = -1;
  while (base::monotonic_ns() < connect_deadline) {
    int ready = sh.ready.load();
    int pubs = sh.pubs_ready.load() + sh.pubs_failed.load();
    if (ready >= o.subscribers && pubs >= publishers) break;
    if (ready / 1000 != last_shown) {
      last_shown = ready / 1000;
      progress(o, "bench %s: %ld/%ld subscribers ready\n", r.transport, ready, o.subscribers);
    }
    sleep_ms(kWaitStepMs);
  }
  r.ready = sh.ready.load();
  r.failed = o.subscribers - r.ready;
  if (r.ready == 0 && o.subscribers > 0) *unreachable = true;
  if (publishers > 0 && sh.pubs_ready.load() == 0) *unreachable = true;

  // Once everyone was connected, a refused connection means the server went away: the run
  // ends now, with an error, instead of publishing and draining into nothing.
  uint64_t refused_before = sh.refused.load();
  auto gone = [&sh, refused_before] { return sh.refused.load() > refused_before; };
  ProcSample s0, s1;
  Snapshot b0, b1;
  uint64_t window_start = base::monotonic_ns();
  if (!*unreachable && target == Target::nchan && r.ready == o.subscribers &&
      !wait_nchan_subscribed(sh, ep, o.subscribers,
                             base::monotonic_ns() + uint64_t(o.connect_timeout * 1e9)))
    r.errors.push_back("nchan did not count every subscriber before publishing");
  if (!*unreachable) {
    sleep_ms(kSettleMs);
    b0 = snapshot(ws);
    s0 = sample_process(o.server_pid);
    if (env && env->window_begin) env->window_begin();
    window_start = base::monotonic_ns();
    if (t == Transport::echo) {
      // 2e. Echo round trips for the duration.
      sh.echo_end_ns = window_start + uint64_t(o.duration * 1e9);
      on_all(ws, [](Worker& w) {
        for (auto& s : w.subs()) s->start_echo();
      });
      while (base::monotonic_ns() < sh.echo_end_ns && !(r.server_gone = gone()))
        sleep_ms(kWaitStepMs);
      sleep_ms(100);  // the last echoes in flight
    } else {
      // 2. Publish until the count or the deadline, then collect the last answers.
      sh.publish_end_ns = window_start + uint64_t(o.duration * 1e9);
      progress(o, "bench %s: publishing (%ld publishers, %ld subscribers)\n", r.transport,
               publishers, r.ready);
      on_all(ws, [](Worker& w) {
        for (auto& p : w.pubs()) p->start();
      });
      double bound =
          o.messages > 0
              ? std::max(60.0, 3.0 * double(o.messages) / std::max(1.0, o.rate > 0 ? o.rate : 1000))
              : o.duration + kPublishSlackSec;
      uint64_t pub_deadline = window_start + uint64_t(bound * 1e9);
      {
        // Delivered so far: the sum of every subscriber's highest offset (fresh channels
        // start at 1), read without stopping the loops.
        LiveLine live(o, r.transport, window_start);
        while (sh.pubs_done.load() < publishers && base::monotonic_ns() < pub_deadline &&
               !(r.server_gone = gone())) {
          live.tick(delivered_so_far(ws));
          sleep_ms(kWaitStepMs);
        }
      }
      if (!r.server_gone && sh.pubs_done.load() < publishers)
        r.errors.push_back("publishers did not finish in time");
      // 3. Drain: every subscriber reaches its channel's last offset, or the deliveries stop
      // moving for `drain` seconds. Bounded by progress rather than by the clock, so a backlog
      // that is still flowing - a link slower than the publish rate, a connection waiting out a
      // retransmission timer - is waited for, and a subscriber that will never catch up is not.
      double drain = o.drain;
      if (t == Transport::poll) drain = std::max(drain, 2 * o.poll_interval + 1);
      uint64_t now = base::monotonic_ns();
      uint64_t hard_deadline = now + uint64_t(kMaxDrainSec * 1e9);
      uint64_t idle_deadline = now + uint64_t(drain * 1e9);
      uint64_t seen = delivered_so_far(ws);
      while (!r.server_gone && !all_caught_up(sh, ws) && now < idle_deadline &&
             now < hard_deadline) {
        sleep_ms(kWaitStepMs);
        r.server_gone = gone();
        now = base::monotonic_ns();
        uint64_t d = delivered_so_far(ws);
        if (d != seen) seen = d, idle_deadline = now + uint64_t(drain * 1e9);
      }
      // A publisher the server hung up on, with no refusal seen yet (every subscriber may have
      // caught up before one reconnected): ask the port itself.
      if (!r.server_gone && sh.pubs_lost.load() > 0) r.server_gone = !server_alive(ep);
    }
    s1 = sample_process(o.server_pid);
    b1 = snapshot(ws);
    if (env && env->window_end) env->window_end(r);
  }
  uint64_t window_end = base::monotonic_ns();

  // 4. Stop: no reconnects, every connection reset, loops stop after this iteration.
  sh.stopping.store(true);
  for (auto& w : ws) {
    Worker* wp = w.get();
    wp->loop().post([wp] { wp->stop_when_closed(kCloseWaitMs); });
  }
  for (auto& th : threads) th.join();

  // 5. Account.
  for (auto& w : ws) {
    Counters& c = w->counters();
    r.latency_ns.merge(c.latency_ns);
    r.connect_ns.merge(c.connect_ns);
    r.disconnects += c.disconnects;
    r.reconnects += c.reconnects;
    r.unrecovered += c.unrecovered;
    r.unrecovered_messages += c.unrecovered_messages;
    r.published += c.published;
    r.publish_errors += c.publish_errors;
    r.round_trips += c.round_trips;
    for (auto& e : c.errors)
      if (r.errors.size() < kMaxErrorsKept) r.errors.push_back(e);
    r.udp.fetches += c.udp_fetches;
    for (auto& s : w->subs()) {
      if (const UdpSub* u = s->udp()) {
        const auto& k = u->stats();
        r.udp.present = true;
        r.udp.datagrams_in += k.received, r.udp.datagrams_out += k.sent;
        r.udp.resend_requests += k.resend_requests, r.udp.tail_probes += k.tail_probes;
        r.udp.fills += k.fills, r.udp.duplicates += k.duplicates, r.udp.resets += k.resets;
        r.udp.keepalives += k.keepalives, r.udp.retries += k.retries;
        r.udp.ignored += k.undecodable;
      }
      if (!s->ever_ready() || t == Transport::echo) continue;
      const ChannelState& ch = *sh.channels[size_t(s->channel())];
      uint64_t first = ch.first.load(), last = ch.last.load();
      if (ch.acked.load() == 0) first = 1, last = 0;
      SeqTracker::Counts k = s->tracker().finish(first, last);
      r.expected += last >= first ? last - first + 1 : 0;
      r.delivered += k.delivered;
      r.missing += k.missing;
      r.duplicates += k.duplicates;
      r.out_of_order += k.out_of_order;
      r.unexpected += k.unexpected;
    }
  }
  if (t == Transport::echo) r.delivered = r.round_trips;
  r.ordered = t != Transport::udp;
  uint64_t first_pub = sh.first_publish_ns.load();
  uint64_t last_pub = sh.last_publish_ns.load();
  uint64_t last_delivery = 0;
  for (auto& w : ws) last_delivery = std::max(last_delivery, w->counters().last_delivery_ns);
  uint64_t begin = t == Transport::echo || first_pub == UINT64_MAX ? window_start : first_pub;
  uint64_t end = last_delivery > begin ? last_delivery : window_end;
  r.elapsed_s = double(end - begin) / 1e9;
  r.publish_s =
      last_pub > first_pub && first_pub != UINT64_MAX ? double(last_pub - first_pub) / 1e9 : 0;
  r.sub_bytes_in = b1.sub_in - b0.sub_in;
  r.sub_bytes_out = b1.sub_out - b0.sub_out;
  r.pub_bytes_in = b1.pub_in - b0.pub_in;
  r.pub_bytes_out = b1.pub_out - b0.pub_out;
  r.requests = b1.requests - b0.requests;
  if (s0.ok && s1.ok) {
    r.server_sampled = true;
    r.server_cpu_s = s1.cpu_s - s0.cpu_s;
    r.server_rss_start_kb = s0.rss_kb;
    r.server_rss_end_kb = s1.rss_kb;
    r.server_hwm_kb = s1.hwm_kb;
  }
  if (r.server_gone)
    r.errors.insert(r.errors.begin(), "the server went away mid-run (connection refused)");
  if (r.failed > 0)
    r.errors.insert(r.errors.begin(), std::to_string(r.failed) + " subscribers never got ready");
  if (r.errors.size() > kMaxErrorsKept + 1) r.errors.resize(kMaxErrorsKept + 1);
  return r;
}

}  // namespace

std::vector<int> cpus_in(const cpu_set_t& set) {
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

int cpu_for_loop(const std::vector<int>& allowed, int loop) {
  if (allowed.empty() || loop < 0) return -1;
  return allowed[size_t(loop) % allowed.size()];
}

std::string validate(const BenchOptions& o) {
  Target target;
  if (!parse_target(o.target, &target)) return "unknown --target " + o.target;
  if (o.subscribers < 0 || o.publishers < 0 || o.channels < 1) return "counts must be positive";
  if (o.payload < 0 || o.payload > 512 * 1024) return "--payload must be 0..524288";
  if (o.duration <= 0 && o.messages == 0) return "give --duration or --messages";
  if (o.publish_via != "http" && o.publish_via != "ws") return "--publish-via is http or ws";
  if (o.subscribers + o.publishers > kMaxBenchConnections)
    return "too many connections (limit " + std::to_string(kMaxBenchConnections) + ")";
  if (target != Target::ws_echo) {
    if (o.publishers < 1) return "--publishers must be at least 1";
    for (const auto& t : o.transports) {
      Transport tr;
      if (!parse_transport(t, &tr) || tr == Transport::echo) return "unknown transport " + t;
      if (target == Target::nchan && tr == Transport::poll)
        return "nchan has no short-poll transport here (use ws, sse, longpoll)";
      if (target == Target::nchan && tr == Transport::udp) return "nchan has no UDP transport";
      if (tr == Transport::udp && parse_url(o.url) && parse_url(o.url)->tls)
        return "udp: herald's datagrams ride on the plain (http://) listener, not on TLS";
    }
  }
  if (o.poll_interval < 0 || o.longpoll_wait <= 0) return "poll interval and wait must be > 0";
  for (char c : o.token + o.api_key)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return "--token and --api-key must be one word of visible characters";
  if (!o.netem.empty()) {
    std::string why;
    if (!netlab::parse_condition(o.netem, &why)) return "bad --netem " + o.netem + ": " + why;
  }
  auto ep = parse_url(o.url);
  if (!ep) return "bad --url " + o.url;
  if (ep->tls) {
    std::string why;
    if (!client_tls(o, why).ok()) return why;
  }
  if (!o.publish_url.empty() && !parse_url(o.publish_url))
    return "bad --publish-url " + o.publish_url;
  return {};
}

RunReport run_all(const BenchOptions& opts, bool* unreachable, const RunEnv* env) {
  BenchOptions o = opts;
  resolve_poll_interval(o);
  RunReport rep;
  rep.options = o;
  rep.server = o.url;
  *unreachable = false;
  Target target;
  parse_target(o.target, &target);
  Endpoint ep = *parse_url(o.url);
  if (ep.tls) {
    std::string why;
    ep.tls_context = client_tls(o, why).value();  // validate() loaded it once already
  }
  if (target == Target::ws_echo) {
    rep.runs.push_back(run_one(o, Transport::echo, target, ep, unreachable, env));
    if (rep.runs.back().server_gone) *unreachable = true;
    return rep;
  }
  for (const auto& name : o.transports) {
    Transport t;
    parse_transport(name, &t);
    bool unr = false;
    rep.runs.push_back(run_one(o, t, target, ep, &unr, env));
    if (unr || rep.runs.back().server_gone) {
      *unreachable = true;
      break;
    }
  }
  return rep;
}

int exit_code(const RunReport& r, bool limits_ok) {
  for (const auto& t : r.runs) {
    Verdict v = t.verdict();
    if (v == Verdict::unclean || (v == Verdict::limit && !limits_ok)) return 1;
  }
  return 0;
}

}  // namespace herald::bench
