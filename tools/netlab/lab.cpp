#include "lab.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <thread>

#include "udp_echo.h"

namespace herald::netlab {

namespace {

std::string read_all(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  ::close(fd);
  return out;
}

}  // namespace

TcpCounters TcpCounters::operator-(const TcpCounters& o) const {
  TcpCounters d;
  d.ok = ok && o.ok;
  d.out_segs = out_segs - o.out_segs;
  d.retrans_segs = retrans_segs - o.retrans_segs;
  d.timeouts = timeouts - o.timeouts;
  d.fast_retrans = fast_retrans - o.fast_retrans;
  d.tun_drops = tun_drops - o.tun_drops;
  return d;
}

bool parse_dev_tx_drops(const std::string& text, const std::string& ifname, uint64_t* drops) {
  // "  hl0: rx_bytes rx_packets rx_errs rx_drop (4 more) tx_bytes tx_packets tx_errs tx_drop"
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(' ');
    if (line.compare(start, colon - start, ifname) != 0 || colon - start != ifname.size()) continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v = 0;
    for (int i = 0; i < 12; ++i)
      if (!(fields >> v)) return false;
    *drops = v;  // the 12th field: tx drop
    return true;
  }
  return false;
}

bool parse_proc_counter(const std::string& text, const std::string& section,
                        const std::string& field, uint64_t* value) {
  // Two lines per section: the names, then the values, both starting with "Section:".
  std::istringstream in(text);
  std::string names, values, prefix = section + ":";
  while (std::getline(in, names)) {
    if (names.compare(0, prefix.size(), prefix) != 0) continue;
    if (!std::getline(in, values) || values.compare(0, prefix.size(), prefix) != 0) return false;
    std::istringstream n(names.substr(prefix.size())), v(values.substr(prefix.size()));
    std::string name, val;
    while (n >> name && v >> val) {
      if (name != field) continue;
      // RtoMax and MaxConn may be -1; every counter we read is unsigned.
      char* end = nullptr;
      *value = std::strtoull(val.c_str(), &end, 10);
      return end && *end == '\0';
    }
    return false;
  }
  return false;
}

TcpCounters read_tcp_counters(int ns_fd) {
  TcpCounters c;
  std::thread t([&] {
    InNetns in(ns_fd);
    if (!in.ok()) return;
    std::string snmp = read_all("/proc/thread-self/net/snmp");
    std::string netstat = read_all("/proc/thread-self/net/netstat");
    std::string dev = read_all("/proc/thread-self/net/dev");
    c.ok = parse_proc_counter(snmp, "Tcp", "OutSegs", &c.out_segs) &&
           parse_proc_counter(snmp, "Tcp", "RetransSegs", &c.retrans_segs);
    parse_proc_counter(netstat, "TcpExt", "TCPTimeouts", &c.timeouts);
    parse_proc_counter(netstat, "TcpExt", "TCPFastRetrans", &c.fast_retrans);
    parse_dev_tx_drops(dev, kTunName, &c.tun_drops);
  });
  t.join();
  return c;
}

base::Result<std::unique_ptr<Lab>> Lab::create(uint64_t seed, std::string* why) {
  std::unique_ptr<Lab> lab(new Lab());
  auto server = make_link_end(kServerIp, kClientIp, why);
  if (!server) return server.error();
  auto client = make_link_end(kClientIp, kServerIp, why);
  if (!client) return client.error();
  lab->server_ = std::move(*server);
  lab->client_ = std::move(*client);
  lab->seed_ = seed;
  lab->relay_ =
      std::make_unique<Relay>(lab->server_.tun.get(), lab->client_.tun.get(), Condition{}, seed);
  if (!lab->relay_->running()) {
    if (why) *why = "the relay could not start (epoll/eventfd)";
    return base::Errc::unavailable;
  }
  return lab;
}

Lab::~Lab() {
  relay_.reset();  // stop reading before the TUN descriptors close
}

Calibration Lab::calibrate(int rounds) {
  Calibration cal;
  cal.rounds = rounds;
  Condition saved = relay_->condition();
  relay_->set_condition(Condition{});
  int server_fd = -1, loop_fd = -1, client_fd = -1;
  {
    InNetns in(server_ns());
    if (in.ok()) {
      server_fd = udp_socket("0.0.0.0", kEchoPort);
      loop_fd = udp_socket("127.0.0.1", 0);
    }
  }
  {
    InNetns in(client_ns());
    if (in.ok()) client_fd = udp_socket(kClientIp, 0);
  }
  if (server_fd >= 0 && client_fd >= 0 && loop_fd >= 0) {
    UdpEchoServer echo(server_fd);
    server_fd = -1;  // the echo server owns it now
    cal.relay_answered = ping_many(client_fd, ipv4_address(kServerIp, kEchoPort), rounds,
                                   kCalibrationBytes, kCalibrationTimeoutMs, cal.relay_rtt_ns);
    cal.loopback_answered =
        ping_many(loop_fd, ipv4_address("127.0.0.1", kEchoPort), rounds, kCalibrationBytes,
                  kCalibrationTimeoutMs, cal.loopback_rtt_ns);
  }
  for (int fd : {server_fd, client_fd, loop_fd})
    if (fd >= 0) ::close(fd);
  relay_->set_condition(saved);
  relay_->take();  // the calibration's packets are not part of the next window
  return cal;
}

}  // namespace herald::netlab
