#pragma once
// One TCP probe of the server a bench drives: before a run (is anything there at all?) and
// mid-run (did the server go away?).
#include <string>

namespace herald::bench {

struct Endpoint;

/// What one probe of a server found.
enum class Probe {
  answered,        // an answer to GET /health began (any status), or the TLS port accepted
  refused,         // the connect was refused (nothing listens)
  reset,           // the connection was reset before any byte of an answer
  closed,          // the connection was closed before any byte of an answer
  connect_silent,  // the connect did not complete within the probe's time
  answer_silent,   // connected, but no byte of an answer within the probe's time
  failed,          // no socket, or another socket error (in `cause`)
};

struct ProbeResult {
  Probe what = Probe::failed;
  /// Lower-case words for an error line, e.g. "connection refused"; empty when answered.
  std::string cause;
};

/// Connects to `ep` and, on a plain (http://) endpoint, sends GET /health and waits for the
/// first byte of the answer; each step may take `step_ms`. A TLS endpoint is only connected
/// to: a plain request there would be closed as garbage by a live server.
ProbeResult probe_server(const Endpoint& ep, int step_ms);

/// False when the server at `ep` is gone: the connect is refused, or the connection is reset or
/// closed before any byte of an answer to GET /health. A connect or an answer that does not
/// come within 1 s counts as alive: a busy server is not a gone one.
bool server_alive(const Endpoint& ep);

/// Why the server at `ep` cannot be benchmarked at all ("connection refused", "connection reset
/// by peer before any answer", ...), or empty when it can. Only a server that answers slowly
/// passes with no answer: a busy server is not a dead one. The connect may take `connect_ms`.
std::string unusable_server(const Endpoint& ep, int connect_ms);

}  // namespace herald::bench
