// The probe behind both questions a bench asks of its server: "is anything there?" before a
// run, "is it still there?" when a publisher lost its connection mid-run.
#include "probe.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "engine.h"
#include "net/listener.h"

namespace herald::bench {

namespace {

// How long each step of the mid-run probe (connect, first byte of the answer) may take.
constexpr int kAliveProbeMs = 1000;

std::string words(int err) {
  std::string s = std::error_code(err, std::system_category()).message();
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

ProbeResult failure(int err) {
  if (err == ECONNREFUSED) return {Probe::refused, words(err)};
  // EPIPE: the reset came in before our request went out.
  if (err == ECONNRESET || err == EPIPE)
    return {Probe::reset, words(ECONNRESET) + " before any answer"};
  return {Probe::failed, words(err)};
}

ProbeResult probe_fd(int fd, const Endpoint& ep, int step_ms) {
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, step_ms) != 1)
    return {Probe::connect_silent,
            "no answer to the connect within " + std::to_string(step_ms) + " ms"};
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return failure(err);
  if (ep.tls) return {Probe::answered, {}};
  std::string req = "GET /health HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) return failure(errno);
  pollfd q{fd, POLLIN, 0};
  if (::poll(&q, 1, step_ms) != 1) return {Probe::answer_silent, "no answer to GET /health"};
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  if (n > 0) return {Probe::answered, {}};
  if (n == 0) return {Probe::closed, "connection closed before any answer"};
  return failure(errno);
}

}  // namespace

ProbeResult probe_server(const Endpoint& ep, int step_ms) {
  auto fd = net::connect_tcp(ep.addr);
  if (!fd) return failure(fd.error().value());
  ProbeResult r = probe_fd(*fd, ep, step_ms);
  ::close(*fd);
  return r;
}

// Only connecting is not enough: the listener of a process that is being killed completes
// handshakes until the kernel closes it, and on a busy machine that can come after the
// process's other connections were reset (a run then took a dying server for a live one).
bool server_alive(const Endpoint& ep) {
  Probe p = probe_server(ep, kAliveProbeMs).what;
  return p != Probe::refused && p != Probe::reset && p != Probe::closed && p != Probe::failed;
}

std::string unusable_server(const Endpoint& ep, int connect_ms) {
  ProbeResult r = probe_server(ep, connect_ms);
  if (r.what == Probe::answered || r.what == Probe::answer_silent) return {};
  return r.cause;
}

}  // namespace herald::bench
