#include "access/conn_log.h"

#include "base/log.h"

namespace herald::access {

std::string_view close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::none:
    case CloseReason::client_closed:
      return "client_closed";
    case CloseReason::slow_consumer:
      return "slow_consumer";
    case CloseReason::heartbeat_timeout:
      return "heartbeat_timeout";
    case CloseReason::token_expired:
      return "token_expired";
    case CloseReason::disconnected:
      return "disconnected";
    case CloseReason::refused:
      return "refused";
    case CloseReason::limit:
      return "limit";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::drain:
      return "drain";
    case CloseReason::unavailable:
      return "unavailable";
    case CloseReason::answered:
      return "answered";
    case CloseReason::server_closed:
      return "server_closed";
  }
  return "server_closed";
}

CloseReason close_reason_of(Outcome o) {
  switch (o) {
    case Outcome::token_expired:
      return CloseReason::token_expired;
    case Outcome::disconnected:
    case Outcome::disconnected_final:
      return CloseReason::disconnected;
    case Outcome::unauthorized:
    case Outcome::forbidden:
      return CloseReason::refused;
    case Outcome::limit_reached:
    case Outcome::message_too_large:
    case Outcome::rate_limited:
    case Outcome::too_many_subscriptions:
      return CloseReason::limit;
    case Outcome::bad_channel:
    case Outcome::bad_cursor:
    case Outcome::bad_request:
    case Outcome::not_available:
    case Outcome::not_subscribed:
    case Outcome::already_subscribed:
      return CloseReason::protocol_error;
    case Outcome::unavailable:
    case Outcome::hook_unavailable:
    case Outcome::internal:
      return CloseReason::unavailable;
    case Outcome::ok:
      break;
  }
  return CloseReason::server_closed;
}

namespace {
// id (when the session has one), remote, transport, user (when known): what both events start
// with. Returns how many of `f` it filled.
size_t common_fields(base::LogField* f, const Client& c, base::Transport t, const std::string& id,
                     const std::string& remote) {
  size_t n = 0;
  if (!id.empty()) f[n++] = {"id", id};
  f[n++] = {"remote", remote};
  f[n++] = {"transport", base::transport_name(t)};
  if (!c.user().empty()) f[n++] = {"user", c.user()};
  return n;
}
}  // namespace

void log_conn_open(const Client& c, base::Transport t) {
  if (!base::log_enabled(base::LogLevel::info)) return;
  std::string id = c.id.text(), remote = c.address_text();
  base::LogField f[4] = {{"", ""}, {"", ""}, {"", ""}, {"", ""}};
  size_t n = common_fields(f, c, t, id, remote);
  base::log_event(base::LogLevel::info, "conn_open", {}, std::span<const base::LogField>(f, n));
}

void log_conn_close(const Client& c, base::Transport t, CloseReason r, uint64_t duration_ms,
                    uint64_t bytes_in, uint64_t bytes_out) {
  if (!base::log_enabled(base::LogLevel::info)) return;
  std::string id = c.id.text(), remote = c.address_text();
  base::LogField f[8] = {{"", ""}, {"", ""}, {"", ""}, {"", ""},
                         {"", ""}, {"", ""}, {"", ""}, {"", ""}};
  size_t n = common_fields(f, c, t, id, remote);
  f[n++] = {"reason", close_reason_name(r)};
  f[n++] = {"duration_ms", duration_ms};
  f[n++] = {"bytes_in", bytes_in};
  f[n++] = {"bytes_out", bytes_out};
  base::log_event(base::LogLevel::info, "conn_close", {}, std::span<const base::LogField>(f, n));
}

}  // namespace herald::access
