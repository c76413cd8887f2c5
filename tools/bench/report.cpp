#include "report.h"

#include <cinttypes>
#include <fstream>

#include "base/limits.h"
#include "engine.h"
#include "proto/json.h"

namespace herald::bench {

namespace {

constexpr double kPercentiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kPercentileNames[] = {"p50", "p90", "p99", "p99_9"};

double per(double a, double b) {
  return b > 0 ? a / b : 0;
}

void num(std::string& o, double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  o += b;
}

void key(std::string& o, const char* k) {
  o += '"';
  o += k;
  o += "\":";
}

void hist_json(std::string& o, const base::Histogram& h, bool with_buckets) {
  o += "{\"count\":";
  proto::append_uint(o, h.count());
  o += ",\"min\":";
  proto::append_uint(o, h.min());
  o += ",\"mean\":";
  num(o, h.mean());
  for (size_t i = 0; i < 4; ++i) {
    o += ",\"";
    o += kPercentileNames[i];
    o += "\":";
    proto::append_uint(o, h.percentile(kPercentiles[i]));
  }
  o += ",\"max\":";
  proto::append_uint(o, h.max());
  if (with_buckets) {
    o += ",\"buckets\":[";
    bool first = true;
    for (auto [hi, n] : h.buckets()) {
      if (!first) o += ',';
      first = false;
      o += '[';
      proto::append_uint(o, hi);
      o += ',';
      proto::append_uint(o, n);
      o += ']';
    }
    o += ']';
  }
  o += '}';
}

}  // namespace

std::string format_ns(uint64_t ns) {
  char b[32];
  if (ns < 1'000'000) {
    std::snprintf(b, sizeof b, "%.0fus", double(ns) / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(b, sizeof b, "%.2fms", double(ns) / 1e6);
  } else {
    std::snprintf(b, sizeof b, "%.2fs", double(ns) / 1e9);
  }
  return b;
}

Costs costs_of(const TransportResult& r) {
  Costs c;
  double d = double(r.delivered);
  c.down_bytes_per_msg = per(double(r.sub_bytes_in), d);
  c.up_bytes_per_msg = per(double(r.sub_bytes_out), d);
  c.requests_per_msg = per(double(r.requests), d);
  c.server_cpu_ms_per_1k = r.server_sampled ? per(r.server_cpu_s * 1e6, d) : 0;
  c.bytes_per_1k = per(double(r.sub_bytes_in + r.sub_bytes_out) * 1000, d);
  return c;
}

std::string history_desc(const BenchOptions& o) {
  if (o.history_size > 0) return "history_size " + std::to_string(o.history_size);
  return "history_size unknown (server default " +
         std::to_string(base::limits::kDefaultHistorySize) + " assumed)";
}

std::string history_note(const BenchOptions& o) {
  bool polls = false;
  for (const auto& t : o.transports) polls = polls || t == "poll";
  double per_poll = messages_per_poll(o);
  size_t history = o.history_size > 0 ? size_t(o.history_size) : base::limits::kDefaultHistorySize;
  if (!polls || o.target != "herald" || per_poll <= double(history)) return {};
  char b[512];
  std::string rtt =
      link_rtt_s(o) > 0 ? " + " + format_seconds(link_rtt_s(o)) + " s round trip" : "";
  std::snprintf(
      b, sizeof b,
      "NOTE: poll: ~%.0f messages reach a channel between two polls (%s/s over %d "
      "channel(s) x (%s s%s)), more than the server keeps (%s): polls answer recovered:false and "
      "those messages are lost. Raise the server's --history-size (>= %d) or shorten "
      "--poll-interval.",
      per_poll, format_seconds(o.rate).c_str(), o.channels, format_seconds(o.poll_interval).c_str(),
      rtt.c_str(), history_desc(o).c_str(), history_size_for(o));
  return b;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::limit:
      return "LIMIT";
    case Verdict::unclean:
      break;
  }
  return "NOT CLEAN";
}

std::string limit_note(const BenchOptions& o, const TransportResult& r) {
  if (r.verdict() != Verdict::limit) return {};
  size_t history = o.history_size > 0 ? size_t(o.history_size) : base::limits::kDefaultHistorySize;
  char lost[200];
  std::snprintf(lost, sizeof lost,
                "%" PRIu64 " %s answered recovered:false and %" PRIu64 " of %" PRIu64
                " deliveries (%.1f%%) were skipped",
                r.unrecovered, r.transport == "poll" ? "polls" : "resumes", r.missing, r.expected,
                100.0 * per(double(r.missing), double(r.expected)));
  std::string why;
  if (r.transport == "poll" && o.rate > 0) {
    double per_channel = o.rate / double(std::max(1, o.channels));
    double rtt = link_rtt_s(o), per_poll = messages_per_poll(o);
    char b[400];
    std::snprintf(b, sizeof b,
                  "%s/s over %d channel(s) x (%s s interval%s) = ~%.0f messages per channel per "
                  "poll against a history of %zu%s",
                  format_seconds(o.rate).c_str(), o.channels,
                  format_seconds(o.poll_interval).c_str(),
                  rtt > 0 ? (" + " + format_seconds(rtt) + " s round trip").c_str() : "", per_poll,
                  history, o.history_size > 0 ? "" : " (assumed)");
    why = b;
    if (per_poll > double(history)) {
      double keeps_up = double(history) / 2 / per_channel - rtt;
      why += std::string(": ") + lost + ". Keeps up with ";
      if (keeps_up > 0) why += "--poll-interval <= " + format_seconds(keeps_up) + " s or ";
      why += "--history-size >= " + std::to_string(history_size_for(o)) + ".";
    } else {
      // The arithmetic fits: the answers themselves came late (a saturated link queued them,
      // or the machine was busy), so more than the history piled up between two of them.
      why +=
          ", which fits - but answers came later than interval + round trip (a saturated "
          "link or a busy machine delayed them): " +
          std::string(lost) + ".";
    }
  } else {
    why = "fell behind by more than the history (" + std::to_string(history) +
          (o.history_size > 0 ? " messages)" : " messages, assumed)") + ": " + lost + ".";
  }
  return "LIMIT " + r.transport + ": " + why;
}

void print_table(FILE* out, const RunReport& rep) {
  const BenchOptions& o = rep.options;
  bool echo = o.target == "ws-echo";
  if (echo) {
    std::fprintf(out, "herald bench: ws-echo at %s, %d connections, %d-byte messages, %s s\n",
                 o.url.c_str(), o.subscribers, o.payload, format_seconds(o.duration).c_str());
  } else {
    std::fprintf(out,
                 "herald bench: target %s at %s; %d subscribers on %d channel(s); %d publisher(s) "
                 "via %s; rate %s; payload %d B; %s; poll interval %s s%s, long-poll wait %s s%s\n",
                 o.target.c_str(), o.url.c_str(), o.subscribers, o.channels, o.publishers,
                 o.publish_via.c_str(),
                 o.rate > 0 ? (format_seconds(o.rate) + "/s").c_str() : "max", o.payload,
                 o.messages ? (std::to_string(o.messages) + " messages").c_str()
                            : (format_seconds(o.duration) + " s").c_str(),
                 format_seconds(o.poll_interval).c_str(),
                 o.poll_interval_auto ? " (auto: fits half the history)" : "",
                 format_seconds(o.longpoll_wait).c_str(),
                 o.churn > 0 ? (", churn every " + format_seconds(o.churn) + " s").c_str() : "");
    std::fprintf(out, "server: %s; %s\n", rep.server.c_str(), history_desc(o).c_str());
    print_lab_header(out, rep);
    std::string note = history_note(o);
    if (!note.empty()) std::fprintf(out, "%s\n", note.c_str());
  }
  std::fprintf(out, "\n%-9s %7s %9s %10s %8s %5s %5s %10s | %8s %8s %8s %8s %8s\n", "transport",
               "ready", echo ? "-" : "published", echo ? "round-trips" : "delivered", "missing",
               "dup", "ooo", echo ? "rt/s" : "deliv/s", "p50", "p90", "p99", "p99.9", "max");
  for (const auto& r : rep.runs) {
    const auto& h = r.latency_ns;
    std::fprintf(out,
                 "%-9s %7d %9" PRIu64 " %10" PRIu64 " %8" PRIu64 " %5" PRIu64 " %5" PRIu64
                 " %10.0f | %8s %8s %8s %8s %8s\n",
                 r.transport.c_str(), r.ready, r.published, r.delivered, r.missing, r.duplicates,
                 r.out_of_order, r.deliveries_per_s(), format_ns(h.percentile(0.5)).c_str(),
                 format_ns(h.percentile(0.9)).c_str(), format_ns(h.percentile(0.99)).c_str(),
                 format_ns(h.percentile(0.999)).c_str(), format_ns(h.max()).c_str());
  }
  std::fprintf(out, "\n%-9s %10s %10s %8s %10s %10s %12s %10s %6s %6s\n", "transport", "B/msg down",
               "B/msg up", "req/msg", "connect50", "connect99", "srvCPU ms/1k", "srvRSS MB", "disc",
               "recon");
  for (const auto& r : rep.runs) {
    Costs c = costs_of(r);
    char cpu[32] = "-", rss[32] = "-";
    if (r.server_sampled) {
      std::snprintf(cpu, sizeof cpu, "%.3f", c.server_cpu_ms_per_1k);
      std::snprintf(rss, sizeof rss, "%.1f", double(r.server_rss_end_kb) / 1024);
    }
    std::fprintf(out, "%-9s %10.1f %10.1f %8.3f %10s %10s %12s %10s %6" PRIu64 " %6" PRIu64 "\n",
                 r.transport.c_str(), c.down_bytes_per_msg, c.up_bytes_per_msg, c.requests_per_msg,
                 format_ns(r.connect_ns.percentile(0.5)).c_str(),
                 format_ns(r.connect_ns.percentile(0.99)).c_str(), cpu, rss, r.disconnects,
                 r.reconnects);
  }
  for (const auto& r : rep.runs) {
    if (!r.udp.present) continue;
    const UdpFigures& u = r.udp;
    std::fprintf(out,
                 "\nudp: %" PRIu64 " datagrams in, %" PRIu64 " out; %" PRIu64 " gap fills (%" PRIu64
                 " resend requests, %" PRIu64 " tail probes), %" PRIu64
                 " late or filled deliveries, %" PRIu64 " duplicate datagrams dropped, %" PRIu64
                 " announced fetched over HTTP, %" PRIu64 " lease resets, %" PRIu64
                 " keepalives, %" PRIu64 " handshake retries\n",
                 u.datagrams_in, u.datagrams_out, u.fills, u.resend_requests, u.tail_probes,
                 r.out_of_order, u.duplicates, u.fetches, u.resets, u.keepalives, u.retries);
  }
  print_link_table(out, rep);
}

void print_decision_table(FILE* out, const RunReport& rep) {
  const BenchOptions& o = rep.options;
  std::fprintf(out,
               "\nDecision table (same workload on every transport; poll interval %s s, "
               "long-poll wait %s s):\n",
               format_seconds(o.poll_interval).c_str(), format_seconds(o.longpoll_wait).c_str());
  std::fprintf(out, "%-9s %9s %9s %9s %9s %11s %11s %9s %13s %s\n", "transport", "p50", "p90",
               "p99", "p99.9", "B/msg down", "B/msg up", "req/msg", "srvCPU ms/1k", "verdict");
  for (const auto& r : rep.runs) {
    Costs c = costs_of(r);
    const auto& h = r.latency_ns;
    char cpu[32] = "-";
    if (r.server_sampled) std::snprintf(cpu, sizeof cpu, "%.3f", c.server_cpu_ms_per_1k);
    std::fprintf(out, "%-9s %9s %9s %9s %9s %11.1f %11.1f %9.3f %13s %s\n", r.transport.c_str(),
                 format_ns(h.percentile(0.5)).c_str(), format_ns(h.percentile(0.9)).c_str(),
                 format_ns(h.percentile(0.99)).c_str(), format_ns(h.percentile(0.999)).c_str(),
                 c.down_bytes_per_msg, c.up_bytes_per_msg, c.requests_per_msg, cpu,
                 verdict_name(r.verdict()));
  }
  for (const auto& r : rep.runs) {
    std::string note = limit_note(o, r);
    if (!note.empty()) std::fprintf(out, "%s\n", note.c_str());
  }
}

void print_verdict(FILE* out, const RunReport& rep) {
  for (const auto& r : rep.runs) {
    bool limit = r.verdict() == Verdict::limit;
    const char* tag = limit ? "LIMIT" : "LOSS";
    if (limit) std::fprintf(out, "%s\n", limit_note(rep.options, r).c_str());
    if (r.missing > 0 && !limit) {
      std::fprintf(out, "LOSS: %s lost %" PRIu64 " of %" PRIu64 " expected deliveries (%.2f%%)\n",
                   r.transport.c_str(), r.missing, r.expected,
                   100.0 * per(double(r.missing), double(r.expected)));
    }
    if (r.missing > 0 && r.unrecovered_messages > 0) {
      std::fprintf(out,
                   "%s: %s: %" PRIu64 " messages skipped by %" PRIu64
                   " recovered:false answers (the server's history no longer reached back "
                   "to the subscriber's cursor; %s)\n",
                   tag, r.transport.c_str(), r.unrecovered_messages, r.unrecovered,
                   history_desc(rep.options).c_str());
      if (r.transport == "poll" && !limit) {
        std::string note = history_note(rep.options);
        if (!note.empty()) std::fprintf(out, "%s\n", note.c_str());
      }
    }
    if (r.duplicates > 0)
      std::fprintf(out, "DUPLICATES: %s received %" PRIu64 " messages twice\n", r.transport.c_str(),
                   r.duplicates);
    if (r.out_of_order > 0 && r.ordered)
      std::fprintf(out, "OUT OF ORDER: %s received %" PRIu64 " messages late\n",
                   r.transport.c_str(), r.out_of_order);
    if (r.publish_errors > 0)
      std::fprintf(out, "PUBLISH ERRORS: %s: %" PRIu64 "\n", r.transport.c_str(), r.publish_errors);
    for (const auto& e : r.errors)
      std::fprintf(out, "error (%s): %s\n", r.transport.c_str(), e.c_str());
  }
}

std::string to_json(const RunReport& rep) {
  const BenchOptions& o = rep.options;
  std::string j = "{\"tool\":\"herald bench\",\"compare\":";
  j += rep.compare ? "true" : "false";
  j += ",\"server\":";
  proto::append_json_string(j, rep.server);
  j += ",\"parameters\":{";
  key(j, "url"), proto::append_json_string(j, o.url);
  if (!o.publish_url.empty())
    j += ',', key(j, "publish_url"), proto::append_json_string(j, o.publish_url);
  j += ',', key(j, "target"), proto::append_json_string(j, o.target);
  j += ',', key(j, "transports"), j += '[';
  for (size_t i = 0; i < o.transports.size(); ++i) {
    if (i) j += ',';
    proto::append_json_string(j, o.transports[i]);
  }
  j += ']';
  j += ',', key(j, "subscribers"), num(j, o.subscribers);
  j += ',', key(j, "channels"), num(j, o.channels);
  j += ',', key(j, "publishers"), num(j, o.publishers);
  j += ',', key(j, "publish_via"), proto::append_json_string(j, o.publish_via);
  j += ',', key(j, "rate"), num(j, o.rate);
  j += ',', key(j, "inflight"), num(j, o.inflight);
  j += ',', key(j, "payload"), num(j, o.payload);
  j += ',', key(j, "duration"), num(j, o.duration);
  j += ',', key(j, "messages"), proto::append_uint(j, o.messages);
  j += ',', key(j, "ramp_up"), num(j, o.ramp_up);
  j += ',', key(j, "churn"), num(j, o.churn);
  j += ',', key(j, "poll_interval"), num(j, o.poll_interval);
  j += ',', key(j, "poll_interval_auto"), j += o.poll_interval_auto ? "true" : "false";
  j += ',', key(j, "netem"), proto::append_json_string(j, o.netem);
  j += ',', key(j, "seed"), proto::append_uint(j, o.seed);
  j += ',', key(j, "longpoll_wait"), num(j, o.longpoll_wait);
  j += ',', key(j, "drain"), num(j, o.drain);
  j += ',', key(j, "threads"), num(j, o.threads);
  j += ',', key(j, "pin"), j += o.pin ? "true" : "false";
  j += ',', key(j, "server_pid"), num(j, o.server_pid);
  j += ',', key(j, "history_size");
  if (o.history_size > 0) {
    num(j, o.history_size);
  } else {
    j += "null";
  }
  j += ',', key(j, "preset"), proto::append_json_string(j, o.preset);
  j += '}';
  lab_json(j, rep);
  j += ",\"runs\":[";
  for (size_t i = 0; i < rep.runs.size(); ++i) {
    const TransportResult& r = rep.runs[i];
    Costs c = costs_of(r);
    if (i) j += ',';
    j += '{';
    key(j, "transport"), proto::append_json_string(j, r.transport);
    j += ',', key(j, "target"), proto::append_json_string(j, r.target);
    j += ',', key(j, "clean"), j += r.clean() ? "true" : "false";
    j += ',', key(j, "verdict");
    proto::append_json_string(j, r.verdict() == Verdict::ok      ? "ok"
                                 : r.verdict() == Verdict::limit ? "limit"
                                                                 : "unclean");
    j += ',', key(j, "limit");
    if (r.verdict() == Verdict::limit) {
      proto::append_json_string(j, limit_note(o, r));
    } else {
      j += "null";
    }
    j += ',', key(j, "subscribers"), num(j, r.subscribers);
    j += ',', key(j, "ready"), num(j, r.ready);
    j += ',', key(j, "failed"), num(j, r.failed);
    j += ',', key(j, "published"), proto::append_uint(j, r.published);
    j += ',', key(j, "publish_errors"), proto::append_uint(j, r.publish_errors);
    j += ',', key(j, "expected"), proto::append_uint(j, r.expected);
    j += ',', key(j, "delivered"), proto::append_uint(j, r.delivered);
    j += ',', key(j, "missing"), proto::append_uint(j, r.missing);
    j += ',', key(j, "duplicates"), proto::append_uint(j, r.duplicates);
    j += ',', key(j, "out_of_order"), proto::append_uint(j, r.out_of_order);
    j += ',', key(j, "unexpected"), proto::append_uint(j, r.unexpected);
    j += ',', key(j, "round_trips"), proto::append_uint(j, r.round_trips);
    j += ',', key(j, "disconnects"), proto::append_uint(j, r.disconnects);
    j += ',', key(j, "reconnects"), proto::append_uint(j, r.reconnects);
    j += ',', key(j, "unrecovered"), proto::append_uint(j, r.unrecovered);
    j += ',', key(j, "unrecovered_messages"), proto::append_uint(j, r.unrecovered_messages);
    j += ',', key(j, "server_gone"), j += r.server_gone ? "true" : "false";
    j += ',', key(j, "loop_cpus"), j += '[';
    for (size_t k = 0; k < r.loop_cpus.size(); ++k) {
      if (k) j += ',';
      j += std::to_string(r.loop_cpus[k]);
    }
    j += ']';
    j += ',', key(j, "requests"), proto::append_uint(j, r.requests);
    j += ',', key(j, "publish_seconds"), num(j, r.publish_s);
    j += ',', key(j, "elapsed_seconds"), num(j, r.elapsed_s);
    j += ',', key(j, "deliveries_per_second"), num(j, r.deliveries_per_s());
    j += ',', key(j, "bytes"), j += "{\"subscriber_in\":";
    proto::append_uint(j, r.sub_bytes_in);
    j += ",\"subscriber_out\":", proto::append_uint(j, r.sub_bytes_out);
    j += ",\"publisher_in\":", proto::append_uint(j, r.pub_bytes_in);
    j += ",\"publisher_out\":", proto::append_uint(j, r.pub_bytes_out);
    j += "},";
    key(j, "per_delivery"), j += "{\"bytes_down\":";
    num(j, c.down_bytes_per_msg);
    j += ",\"bytes_up\":", num(j, c.up_bytes_per_msg);
    j += ",\"requests\":", num(j, c.requests_per_msg);
    j += ",\"server_cpu_ms_per_1000\":", num(j, c.server_cpu_ms_per_1k);
    j += "},";
    key(j, "latency_ns"), hist_json(j, r.latency_ns, true);
    j += ',', key(j, "connect_ns"), hist_json(j, r.connect_ns, false);
    j += ',', key(j, "server");
    if (r.server_sampled) {
      j += "{\"cpu_seconds\":", num(j, r.server_cpu_s);
      j += ",\"rss_start_kb\":", proto::append_uint(j, r.server_rss_start_kb);
      j += ",\"rss_end_kb\":", proto::append_uint(j, r.server_rss_end_kb);
      j += ",\"rss_peak_kb\":", proto::append_uint(j, r.server_hwm_kb);
      j += '}';
    } else {
      j += "null";
    }
    link_json(j, r);
    j += ',', key(j, "ordered"), j += r.ordered ? "true" : "false";
    j += ',', key(j, "udp");
    if (r.udp.present) {
      const UdpFigures& u = r.udp;
      j += "{\"datagrams_in\":", proto::append_uint(j, u.datagrams_in);
      j += ",\"datagrams_out\":", proto::append_uint(j, u.datagrams_out);
      j += ",\"resend_requests\":", proto::append_uint(j, u.resend_requests);
      j += ",\"tail_probes\":", proto::append_uint(j, u.tail_probes);
      j += ",\"gap_fills\":", proto::append_uint(j, u.fills);
      j += ",\"duplicate_datagrams\":", proto::append_uint(j, u.duplicates);
      j += ",\"fetched_over_http\":", proto::append_uint(j, u.fetches);
      j += ",\"lease_resets\":", proto::append_uint(j, u.resets);
      j += ",\"keepalives\":", proto::append_uint(j, u.keepalives);
      j += ",\"handshake_retries\":", proto::append_uint(j, u.retries);
      j += ",\"ignored\":", proto::append_uint(j, u.ignored);
      j += '}';
    } else {
      j += "null";
    }
    j += ',', key(j, "errors"), j += '[';
    for (size_t e = 0; e < r.errors.size(); ++e) {
      if (e) j += ',';
      proto::append_json_string(j, r.errors[e]);
    }
    j += "]}";
  }
  j += "]}\n";
  return j;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) {
    std::fprintf(stderr, "herald bench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace herald::bench
