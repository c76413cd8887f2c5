#include "condition.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace herald::netlab {

namespace {

struct Key {
  std::string_view name;
  std::string_view unit;  // accepted suffix
  double Condition::*field;
  double min, max;
};

constexpr Key kKeys[] = {
    {"delay", "ms", &Condition::delay_ms, 0, kMaxDelayMs},
    {"jitter", "ms", &Condition::jitter_ms, 0, kMaxDelayMs},
    {"loss", "%", &Condition::loss_pct, 0, 100},
    {"rate", "kbps", &Condition::rate_kbps, 0, kMaxRateKbps},
};

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

base::Result<Condition> fail(std::string* why, std::string what) {
  if (why) *why = std::move(what);
  return base::Errc::bad_request;
}

}  // namespace

std::string Condition::to_string() const {
  if (empty()) return "none";
  std::string s;
  for (const Key& k : kKeys) {
    double v = this->*k.field;
    if (v == 0) continue;
    if (!s.empty()) s += ',';
    s += k.name;
    s += '=';
    s += number(v);
  }
  return s;
}

base::Result<Condition> parse_condition(std::string_view spec, std::string* why) {
  Condition c;
  if (spec == "none" || spec.empty()) return c;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view part = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return fail(why, "expected KEY=VALUE, got '" + std::string(part) + "'");
    std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    const Key* key = nullptr;
    for (const Key& k : kKeys)
      if (k.name == name) key = &k;
    if (!key)
      return fail(why, "unknown key '" + std::string(name) + "' (delay, jitter, loss, rate)");
    if (value.size() > key->unit.size() &&
        value.substr(value.size() - key->unit.size()) == key->unit)
      value.remove_suffix(key->unit.size());
    double v = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size() || !std::isfinite(v))
      return fail(why, "bad number for " + std::string(name) + ": '" + std::string(value) + "'");
    if (v < key->min || v > key->max)
      return fail(why, std::string(name) + " must be within " + number(key->min) + ".." +
                           number(key->max) + std::string(key->unit));
    c.*(key->field) = v;
  }
  if (c.rate_kbps > 0 && c.rate_kbps < kMinRateKbps)
    return fail(why, "rate must be 0 (no cap) or at least " + number(kMinRateKbps) + "kbps");
  return c;
}

const std::vector<NetPreset>& net_presets() {
  // The numbers are typical figures for each kind of path, one way (the round trip is twice
  // the delay); the caps are shared by every client of a run (they all sit behind one link).
  static const std::vector<NetPreset> kPresets = {
      {"lossy",
       "a 50 ms round trip with no, 1% and 5% packet loss: what a retransmission costs",
       {{"clean", {25, 0, 0, 0}}, {"loss-1", {25, 0, 1, 0}}, {"loss-5", {25, 0, 5, 0}}}},
      {"mobile",
       "cellular links: 4G, 3G and EDGE (latency, jitter, radio loss, a shared cap)",
       {{"4g", {25, 8, 0.5, 10'000}}, {"3g", {75, 25, 1, 1'500}}, {"edge", {200, 50, 2, 250}}}},
      {"satellite",
       "low and geostationary orbits, and a geostationary link in rain fade",
       {{"leo", {20, 10, 0.5, 50'000}},
        {"geo", {300, 5, 0.3, 4'000}},
        {"geo-rain", {300, 5, 3, 1'000}}}},
      {"rtt",
       "round trips of 1, 50 and 300 ms, nothing lost: what a round trip costs a pull",
       {{"rtt-1ms", {0.5, 0, 0, 0}}, {"rtt-50ms", {25, 0, 0, 0}}, {"rtt-300ms", {150, 0, 0, 0}}}},
      {"bandwidth",
       "one 20 ms round trip, the cap tightening: batching against per-message latency",
       {{"10mbit", {10, 0, 0, 10'000}},
        {"2mbit", {10, 0, 0, 2'000}},
        {"500kbit", {10, 0, 0, 500}}}},
  };
  return kPresets;
}

const NetPreset* find_net_preset(std::string_view name) {
  for (const NetPreset& p : net_presets())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace herald::netlab
