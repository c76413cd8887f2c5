#pragma once
// A bench run inside the network lab (tools/netlab): the lab's two namespaces and relay, a
// herald server started in the server namespace, the subscribers in the client namespace
// behind the relay, the publishers next to the server, and the link's figures (packets, drops,
// TCP retransmissions, the relay's CPU) recorded around each transport's measuring window.
#include <memory>
#include <string>

#include "result.h"
#include "server_proc.h"
#include "tools/netlab/condition.h"
#include "tools/netlab/lab.h"

namespace herald::bench {

class LabRun {
 public:
  /// Builds the lab (relay seeded with `seed`), starts `spec`'s server in its server
  /// namespace and calibrates the relay. nullptr, with `why`, when the lab cannot be built here
  /// or the server did not start.
  static std::unique_ptr<LabRun> start(uint64_t seed, ServerSpec spec, std::string* why);
  /// Stops the server, then the relay; the namespaces go with the last descriptor.
  ~LabRun();

  const SpawnedServer& server() const { return server_; }
  const netlab::Calibration& calibration() const { return calibration_; }

  /// Runs the transports of `o` (its url and server_pid are set to the lab's server) under
  /// condition `c`, named `name` in the report ("" for a bare --netem).
  RunReport run(BenchOptions o, const std::string& name, const netlab::Condition& c,
                bool* unreachable);

 private:
  LabRun() = default;
  std::unique_ptr<netlab::Lab> lab_;
  SpawnedServer server_;
  netlab::Calibration calibration_;
  netlab::TcpCounters server_tcp0_, client_tcp0_;
};

/// The sentence a user reads when the lab cannot be built: the cause and what to do instead.
std::string lab_unavailable_message(const std::string& why);

}  // namespace herald::bench
