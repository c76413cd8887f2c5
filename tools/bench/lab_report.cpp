// The lab's part of the reports: the header and link table of a lab run, the matrix of a
// network preset (tables and JSON). The SVG is in lab_svg.cpp.
#include <cinttypes>

#include "engine.h"
#include "proto/json.h"
#include "report.h"

namespace herald::bench {

namespace {

double per(double a, double b) {
  return b > 0 ? a / b : 0;
}

void num(std::string& o, double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  o += b;
}

std::string signed_ns(int64_t ns) {
  return ns < 0 ? "-" + format_ns(uint64_t(-ns)) : format_ns(uint64_t(ns));
}

uint64_t packets(const netlab::RelayStats& s) {
  return s.to_server.packets + s.to_client.packets;
}

uint64_t lateness_p99(const netlab::RelayStats& s) {
  return std::max(s.to_server.lateness_ns.percentile(0.99),
                  s.to_client.lateness_ns.percentile(0.99));
}

void direction_json(std::string& j, const netlab::DirectionStats& d) {
  j += "{\"packets\":";
  proto::append_uint(j, d.packets);
  j += ",\"bytes\":", proto::append_uint(j, d.bytes);
  j += ",\"delivered_packets\":", proto::append_uint(j, d.delivered_packets);
  j += ",\"delivered_bytes\":", proto::append_uint(j, d.delivered_bytes);
  j += ",\"lost\":", proto::append_uint(j, d.lost);
  j += ",\"queue_drops\":", proto::append_uint(j, d.queue_drops);
  j += ",\"other_drops\":", proto::append_uint(j, d.other_drops);
  j += ",\"tcp_packets\":", proto::append_uint(j, d.tcp);
  j += ",\"udp_packets\":", proto::append_uint(j, d.udp);
  j += ",\"lateness_ns\":{\"p50\":", proto::append_uint(j, d.lateness_ns.percentile(0.5));
  j += ",\"p99\":", proto::append_uint(j, d.lateness_ns.percentile(0.99));
  j += ",\"max\":", proto::append_uint(j, d.lateness_ns.max());
  j += "},\"queued_ns\":{\"p50\":", proto::append_uint(j, d.queued_ns.percentile(0.5));
  j += ",\"p99\":", proto::append_uint(j, d.queued_ns.percentile(0.99));
  j += ",\"max\":", proto::append_uint(j, d.queued_ns.max());
  j += "}}";
}

void tcp_json(std::string& j, const netlab::TcpCounters& t) {
  if (!t.ok) {
    j += "null";
    return;
  }
  j += "{\"out_segs\":";
  proto::append_uint(j, t.out_segs);
  j += ",\"retrans_segs\":", proto::append_uint(j, t.retrans_segs);
  j += ",\"timeouts\":", proto::append_uint(j, t.timeouts);
  j += ",\"fast_retrans\":", proto::append_uint(j, t.fast_retrans);
  j += ",\"tun_drops\":", proto::append_uint(j, t.tun_drops);
  j += '}';
}

void rtt_json(std::string& j, const base::Histogram& h) {
  j += "{\"count\":";
  proto::append_uint(j, h.count());
  j += ",\"p50\":", proto::append_uint(j, h.percentile(0.5));
  j += ",\"p99\":", proto::append_uint(j, h.percentile(0.99));
  j += ",\"max\":", proto::append_uint(j, h.max());
  j += '}';
}

}  // namespace

void print_lab_header(FILE* out, const RunReport& rep) {
  const LabInfo& lab = rep.lab;
  if (!lab.present) return;
  const netlab::Calibration& c = lab.calibration;
  std::fprintf(out,
               "lab: condition %s%s%s (each direction), seed %" PRIu64
               "; server at %s in a namespace of its own with the publishers beside it, "
               "subscribers in another, behind the relay\n",
               lab.name.c_str(), lab.name.empty() ? "" : " = ", lab.condition.to_string().c_str(),
               lab.seed, lab.server_ip.c_str());
  std::fprintf(out,
               "lab: the relay itself (nothing impaired, %d UDP round trips): p50 %s, p99 %s "
               "through it vs %s, %s over loopback: it adds %s at p50, %s at p99 per round "
               "trip; relay thread %s\n",
               c.rounds, format_ns(c.relay_rtt_ns.percentile(0.5)).c_str(),
               format_ns(c.relay_rtt_ns.percentile(0.99)).c_str(),
               format_ns(c.loopback_rtt_ns.percentile(0.5)).c_str(),
               format_ns(c.loopback_rtt_ns.percentile(0.99)).c_str(),
               signed_ns(c.added_ns(0.5)).c_str(), signed_ns(c.added_ns(0.99)).c_str(),
               lab.relay_realtime ? "at real-time priority (SCHED_FIFO)"
                                  : "at normal priority (no right to SCHED_FIFO)");
}

void print_link_table(FILE* out, const RunReport& rep) {
  if (!rep.lab.present) return;
  std::fprintf(out, "\n%-9s %9s %9s %6s %6s %6s %6s %9s %10s %8s %8s %5s %9s %9s %9s\n",
               "transport", "pkts down", "pkts up", "lost v", "lost ^", "qdrop", "kdrop",
               "deliv/pkt", "wire B/msg", "rtx srv", "rtx cli", "RTOs", "relay CPU", "us/pkt",
               "late p99");
  for (const auto& r : rep.runs) {
    if (!r.link.present) continue;
    const netlab::RelayStats& s = r.link.relay;
    double wire = double(s.to_client.delivered_bytes + s.to_server.delivered_bytes);
    std::fprintf(out,
                 "%-9s %9" PRIu64 " %9" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64
                 " %9.2f %10.1f %8" PRIu64 " %8" PRIu64 " %5" PRIu64 " %7.0fms %9.2f %9s\n",
                 r.transport.c_str(), s.to_client.packets, s.to_server.packets, s.to_client.lost,
                 s.to_server.lost, s.to_client.queue_drops + s.to_server.queue_drops,
                 r.link.server_tcp.tun_drops + r.link.client_tcp.tun_drops,
                 per(double(r.delivered), double(s.to_client.delivered_packets)),
                 per(wire, double(r.delivered)), r.link.server_tcp.retrans_segs,
                 r.link.client_tcp.retrans_segs,
                 r.link.server_tcp.timeouts + r.link.client_tcp.timeouts, s.cpu_s * 1000,
                 per(s.cpu_s * 1e6, double(packets(s))), format_ns(lateness_p99(s)).c_str());
  }
  std::fprintf(out,
               "(v = towards the subscribers, ^ = towards the server; deliv/pkt = deliveries per "
               "packet towards the subscribers; wire B/msg = IP bytes both ways per delivery; rtx "
               "= TCP segments sent again; qdrop = tail drops at the capped link; kdrop = packets "
               "the kernel dropped before the relay read them; late = how much later than the "
               "model the relay released packets)\n");
}

void print_matrix_table(FILE* out, const std::vector<RunReport>& reports) {
  if (reports.empty()) return;
  std::fprintf(out, "\nMatrix: publish -> deliver p50 / p99 / max, and verdict\n%-9s", "transport");
  for (const RunReport& rep : reports) std::fprintf(out, " %-30s", rep.lab.name.c_str());
  std::fprintf(out, "\n");
  for (size_t i = 0; i < reports[0].runs.size(); ++i) {
    std::fprintf(out, "%-9s", reports[0].runs[i].transport.c_str());
    for (const RunReport& rep : reports) {
      if (i >= rep.runs.size()) continue;
      const TransportResult& r = rep.runs[i];
      std::string cell = format_ns(r.latency_ns.percentile(0.5)) + " / " +
                         format_ns(r.latency_ns.percentile(0.99)) + " / " +
                         format_ns(r.latency_ns.max());
      if (r.verdict() != Verdict::ok) cell += std::string(" ") + verdict_name(r.verdict());
      std::fprintf(out, " %-30s", cell.c_str());
    }
    std::fprintf(out, "\n");
  }
  std::fprintf(out,
               "\nMatrix: wire bytes per delivery (IP, both ways) / TCP segments sent "
               "again / RTO expiries\n%-9s",
               "transport");
  for (const RunReport& rep : reports) std::fprintf(out, " %-30s", rep.lab.name.c_str());
  std::fprintf(out, "\n");
  for (size_t i = 0; i < reports[0].runs.size(); ++i) {
    std::fprintf(out, "%-9s", reports[0].runs[i].transport.c_str());
    for (const RunReport& rep : reports) {
      if (i >= rep.runs.size()) continue;
      const TransportResult& r = rep.runs[i];
      const netlab::RelayStats& s = r.link.relay;
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.0f B / %" PRIu64 " / %" PRIu64,
                    per(double(s.to_client.delivered_bytes + s.to_server.delivered_bytes),
                        double(r.delivered)),
                    r.link.server_tcp.retrans_segs + r.link.client_tcp.retrans_segs,
                    r.link.server_tcp.timeouts + r.link.client_tcp.timeouts);
      std::fprintf(out, " %-30s", cell);
    }
    std::fprintf(out, "\n");
  }
}

void lab_json(std::string& j, const RunReport& rep) {
  j += ",\"lab\":";
  if (!rep.lab.present) {
    j += "null";
    return;
  }
  const LabInfo& lab = rep.lab;
  const netlab::Condition& c = lab.condition;
  j += "{\"name\":";
  proto::append_json_string(j, lab.name);
  j += ",\"netem\":";
  proto::append_json_string(j, c.to_string());
  j += ",\"condition\":{\"delay_ms\":", num(j, c.delay_ms);
  j += ",\"jitter_ms\":", num(j, c.jitter_ms);
  j += ",\"loss_pct\":", num(j, c.loss_pct);
  j += ",\"rate_kbps\":", num(j, c.rate_kbps);
  j += "},\"seed\":", proto::append_uint(j, lab.seed);
  j += ",\"server_ip\":", proto::append_json_string(j, lab.server_ip);
  j += ",\"relay_realtime\":";
  j += lab.relay_realtime ? "true" : "false";
  j += ",\"calibration\":{\"rounds\":", num(j, lab.calibration.rounds);
  j += ",\"relay_answered\":", num(j, lab.calibration.relay_answered);
  j += ",\"loopback_answered\":", num(j, lab.calibration.loopback_answered);
  j += ",\"relay_rtt_ns\":", rtt_json(j, lab.calibration.relay_rtt_ns);
  j += ",\"loopback_rtt_ns\":", rtt_json(j, lab.calibration.loopback_rtt_ns);
  j += ",\"added_p50_ns\":", num(j, double(lab.calibration.added_ns(0.5)));
  j += ",\"added_p99_ns\":", num(j, double(lab.calibration.added_ns(0.99)));
  j += "}}";
}

void link_json(std::string& j, const TransportResult& r) {
  j += ",\"link\":";
  if (!r.link.present) {
    j += "null";
    return;
  }
  const netlab::RelayStats& s = r.link.relay;
  j += "{\"to_clients\":";
  direction_json(j, s.to_client);
  j += ",\"to_server\":";
  direction_json(j, s.to_server);
  j += ",\"server_tcp\":";
  tcp_json(j, r.link.server_tcp);
  j += ",\"client_tcp\":";
  tcp_json(j, r.link.client_tcp);
  j += ",\"relay_cpu_seconds\":", num(j, s.cpu_s);
  j += ",\"window_seconds\":", num(j, s.wall_s);
  j += ",\"deliveries_per_packet\":";
  num(j, per(double(r.delivered), double(s.to_client.delivered_packets)));
  j += ",\"wire_bytes_per_delivery\":";
  num(j,
      per(double(s.to_client.delivered_bytes + s.to_server.delivered_bytes), double(r.delivered)));
  j += '}';
}

std::string to_json_matrix(const std::string& preset, const std::vector<RunReport>& reports) {
  std::string j = "{\"tool\":\"herald bench\",\"compare\":true,\"preset\":";
  proto::append_json_string(j, preset);
  const netlab::NetPreset* p = netlab::find_net_preset(preset);
  j += ",\"about\":";
  proto::append_json_string(j, p ? p->about : std::string());
  j += ",\"conditions\":[";
  for (size_t i = 0; i < reports.size(); ++i) {
    if (i) j += ',';
    j += "{\"name\":";
    proto::append_json_string(j, reports[i].lab.name);
    j += ",\"netem\":";
    proto::append_json_string(j, reports[i].lab.condition.to_string());
    j += ",\"report\":";
    std::string one = to_json(reports[i]);
    while (!one.empty() && one.back() == '\n') one.pop_back();
    j += one;
    j += '}';
  }
  j += "]}\n";
  return j;
}

}  // namespace herald::bench
