#pragma once
// The network lab: two namespaces of its own - the server's end and the clients' end - joined
// by the relay, which impairs each direction with the condition it is given. A process started
// in the server namespace (setns before exec) listens on kServerIp; a thread that enters the
// client namespace (InNetns) reaches it only across the relay. UDP crosses the relay like TCP,
// so a datagram transport is measured under the same conditions.
//
// Nothing outlives the Lab: the namespaces are anonymous (freed by the kernel with their last
// descriptor and process) and processes started in them should ask for PR_SET_PDEATHSIG.
#include <cstdint>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/histogram.h"
#include "netns.h"
#include "relay.h"

namespace herald::netlab {

/// The two ends' addresses. They are loopback addresses on purpose: a herald server with
/// default settings lets anonymous clients subscribe from loopback peers only, and the lab
/// measures such a server as it is, so its clients must look local to it - which they are, on
/// this machine. Inside the lab's namespaces (and only there) lo is narrowed to 127.0.0.1/32
/// and route_localnet is set, so 127.18.0.1 and 127.18.0.2 are reached through the TUN
/// devices and the relay, never over lo.
inline constexpr const char* kServerIp = "127.18.0.1";
inline constexpr const char* kClientIp = "127.18.0.2";
/// Datagrams the calibration sends through the relay, and over loopback for comparison.
inline constexpr int kCalibrationRounds = 200;
inline constexpr size_t kCalibrationBytes = 100;
/// How long one calibration datagram may take before it counts as lost.
inline constexpr int kCalibrationTimeoutMs = 1000;

/// The round trip the relay adds with nothing to impair: the same UDP echo through the relay
/// (client end -> server end and back) and over the server end's loopback.
struct Calibration {
  int rounds = 0;
  int relay_answered = 0, loopback_answered = 0;
  base::Histogram relay_rtt_ns;
  base::Histogram loopback_rtt_ns;
  /// p50 (q = 0.5) or another quantile of the round trip through the relay minus the same
  /// quantile over loopback, ns (may be slightly negative: two noisy measurements).
  int64_t added_ns(double q) const {
    return int64_t(relay_rtt_ns.percentile(q)) - int64_t(loopback_rtt_ns.percentile(q));
  }
};

/// TCP counters of one namespace (/proc/net/snmp and /proc/net/netstat inside it), and the drops
/// of its TUN device.
struct TcpCounters {
  bool ok = false;
  uint64_t out_segs = 0;      // segments sent
  uint64_t retrans_segs = 0;  // segments sent again
  uint64_t timeouts = 0;      // retransmission timer expiries (RTOs): the long stalls
  uint64_t fast_retrans = 0;  // retransmissions triggered by duplicate ACKs / SACK
  /// Packets the kernel dropped at the TUN device's queue because the relay did not read them
  /// in time (/proc/net/dev): losses the model did not decide. Should stay 0.
  uint64_t tun_drops = 0;
  TcpCounters operator-(const TcpCounters& o) const;
};

/// The transmit drop count of `ifname` in /proc/net/dev text; false when absent.
bool parse_dev_tx_drops(const std::string& text, const std::string& ifname, uint64_t* drops);

/// The value of `field` in the `section` lines of /proc/net/snmp or /proc/net/netstat text
/// ("Tcp: ... RetransSegs ...\nTcp: ... 42 ..."); false when absent.
bool parse_proc_counter(const std::string& text, const std::string& section,
                        const std::string& field, uint64_t* value);

/// Reads the TCP counters of the namespace `ns_fd` (from a short-lived thread inside it).
TcpCounters read_tcp_counters(int ns_fd);

class Lab {
 public:
  /// Builds both ends and starts the relay with an empty condition and `seed`. Errc::unavailable
  /// and `why` when this machine or user cannot (see lab_unavailable_reason).
  static base::Result<std::unique_ptr<Lab>> create(uint64_t seed, std::string* why);
  ~Lab();

  int server_ns() const { return server_.ns.get(); }
  int client_ns() const { return client_.ns.get(); }
  Relay& relay() { return *relay_; }
  uint64_t seed() const { return seed_; }

  /// Measures the relay's own round trip (the condition is emptied meanwhile, then restored).
  Calibration calibrate(int rounds = kCalibrationRounds);

 private:
  Lab() = default;
  LinkEnd server_, client_;
  std::unique_ptr<Relay> relay_;
  uint64_t seed_ = 0;
};

}  // namespace herald::netlab
