#include "access/outcome.h"

#include "base/error.h"

namespace herald::access {

namespace {

struct Row {
  Answer answer;
  std::string_view name;
};

// Indexed by Outcome; the order must follow the enum (checked by the unit test).
constexpr Row kTable[] = {
    {{200, "ok", 0, false}, "ok"},
    {{400, "bad channel name", 0, false}, "bad_channel"},
    {{400, "bad cursor", 0, false}, "bad_cursor"},
    {{400, "bad request", 0, false}, "bad_request"},
    {{401, "unauthorized", 4500, true}, "unauthorized"},
    {{401, "token expired", 4005, true}, "token_expired"},
    {{403, "permission denied", 4503, false}, "forbidden"},
    {{404, "not available", 0, false}, "not_available"},
    {{404, "not subscribed", 0, false}, "not_subscribed"},
    {{409, "already subscribed", 0, false}, "already_subscribed"},
    {{413, "message too large", 0, false}, "message_too_large"},
    {{429, "rate limit exceeded", 0, false}, "rate_limited"},
    {{429, "too many subscriptions", 0, false}, "too_many_subscriptions"},
    {{503, "connection limit reached", 4504, false}, "limit_reached"},
    {{503, "unavailable", 4002, false}, "unavailable"},
    {{503, "disconnected", 4006, false}, "disconnected"},
    {{403, "disconnected", 4506, false}, "disconnected_final"},
    {{503, "auth backend unavailable", 4002, false}, "hook_unavailable"},
    {{500, "internal error", 0, false}, "internal"},
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == size_t(Outcome::internal) + 1);

class OutcomeCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "herald.access"; }
  std::string message(int v) const override {
    if (v < 0 || v > int(Outcome::internal)) return "unknown outcome";
    return std::string(kTable[size_t(v)].answer.message);
  }
};

}  // namespace

const std::error_category& outcome_category() {
  static const OutcomeCategory category;
  return category;
}

const Answer& answer(Outcome o) {
  return kTable[size_t(o)].answer;
}

std::string_view outcome_name(Outcome o) {
  return kTable[size_t(o)].name;
}

Outcome outcome_of(std::error_code ec) {
  using base::Errc;
  if (!ec) return Outcome::ok;
  if (ec.category() == outcome_category() && ec.value() > 0 && ec.value() <= int(Outcome::internal))
    return Outcome(ec.value());
  if (ec == Errc::bad_channel) return Outcome::bad_channel;
  if (ec == Errc::bad_cursor) return Outcome::bad_cursor;
  if (ec == Errc::bad_request) return Outcome::bad_request;
  if (ec == Errc::already_exists) return Outcome::already_subscribed;
  if (ec == Errc::forbidden) return Outcome::forbidden;
  if (ec == Errc::unauthorized) return Outcome::unauthorized;
  if (ec == Errc::not_found) return Outcome::not_available;
  if (ec == Errc::limit_exceeded) return Outcome::too_many_subscriptions;
  if (ec == Errc::unavailable || ec == Errc::timeout || ec == Errc::closed)
    return Outcome::unavailable;
  return Outcome::internal;
}

}  // namespace herald::access
