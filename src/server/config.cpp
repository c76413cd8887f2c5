#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>

// toml++ is a large header: this is the only file that includes it (STYLE: quick builds).
#include <toml++/toml.h>

#include "base/log.h"
#include "net/address.h"

namespace herald::server {
namespace {

using base::NamespaceSettings;
using base::Settings;

// ---------------------------------------------------------------------------------------------
// The key table. A key is a name, a pointer to the member it sets (its C++ type gives the
// config type), a range for integers, an optional check for strings, and a description. The
// TOML, environment and flag layers and config_keys() all read these tables, so adding a key
// is adding one entry.

template <class Owner>
using Field = std::variant<int Owner::*, uint32_t Owner::*, size_t Owner::*, bool Owner::*,
                           std::string Owner::*, std::vector<std::string> Owner::*>;

/// A check for string values (each element, for arrays): "" when fine, else the message.
using Check = std::string (*)(std::string_view value);

template <class Owner>
struct KeyDef {
  std::string_view name;  // dotted ("http.max_body"); for namespace keys the last part only
  Field<Owner> field;
  int64_t min = 0;  // integers only
  int64_t max = 0;
  Check check = nullptr;
  std::string_view type_note;  // shown after the type in config_keys(), e.g. "HOST:PORT"
  std::string_view description;
};

std::string check_listen(std::string_view v) {
  if (net::Address::parse(v).ok()) return {};
  return "expected HOST:PORT with a numeric IPv4 address, [IPv6] or localhost "
         "(e.g. 127.0.0.1:8080, [::1]:8080, :8080), got \"" +
         std::string(v) + "\"";
}

std::string check_log_level(std::string_view v) {
  base::LogLevel level;
  if (base::parse_log_level(std::string(v).c_str(), &level)) return {};
  return "expected one of debug, info, warn, error, off, got \"" + std::string(v) + "\"";
}

std::string check_origin(std::string_view v) {
  // Commas and blanks would make the env/flag form (comma-separated) ambiguous, and no origin
  // (RFC 6454 serialization) contains them.
  bool bad = v.empty() || std::any_of(v.begin(), v.end(), [](unsigned char c) {
               return c <= ' ' || c == ',' || c == 0x7f;
             });
  if (!bad) return {};
  return "an origin is \"scheme://host[:port]\" (or \"*\"), without blanks or commas; got \"" +
         std::string(v) + "\"";
}

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;
constexpr int64_t kDayMs = 24 * 3600 * 1000;

// Designated initializers leave the members a key does not need at their defaults; g++ 12
// warns about that (-Wmissing-field-initializers) although it is well-defined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
const KeyDef<Settings> kKeys[] = {
  {.name = "server.listen", .field = &Settings::listen, .check = check_listen,
   .type_note = "HOST:PORT",
   .description = "address of the HTTP/WebSocket listener (UDP uses the same port)"},
  {.name = "server.threads", .field = &Settings::threads, .min = 0, .max = 64,
   .description = "event loop threads; 0 = one per core"},
  {.name = "server.web_root", .field = &Settings::web_root,
   .description = "folder served at / (demo page, admin, client); empty = web/ of the source tree"},
  {.name = "server.debug_echo", .field = &Settings::debug_echo,
   .description = "adds the plain RFC 6455 echo endpoint GET /ws/echo"},
  {.name = "server.log_level", .field = &Settings::log_level, .check = check_log_level,
   .type_note = "debug, info, warn, error or off", .description = "least severe level that is logged"},
  {.name = "server.api_key", .field = &Settings::api_key,
   .description = "key of the HTTP API (Authorization: Bearer KEY); empty = API open"},
  {.name = "server.allowed_origins", .field = &Settings::allowed_origins, .check = check_origin,
   .description = "WebSocket Origin allow-list; empty = any origin"},
  {.name = "server.drain_ms", .field = &Settings::drain_ms, .min = 0, .max = 600'000,
   .description = "on SIGTERM, reconnect closes are spread over this window"},

  {.name = "http.max_request_line", .field = &Settings::max_request_line, .min = 16, .max = kMiB,
   .description = "longest request line; longer gets 414"},
  {.name = "http.max_header_bytes", .field = &Settings::max_header_bytes, .min = 64,
   .max = 16 * kMiB, .description = "request line + headers; more gets 431"},
  {.name = "http.max_header_count", .field = &Settings::max_header_count, .min = 1, .max = 10'000,
   .description = "header fields per request; more gets 431"},
  {.name = "http.max_body", .field = &Settings::max_body, .min = 1, .max = kGiB,
   .description = "request body bytes; more gets 413"},
  {.name = "http.header_timeout_ms", .field = &Settings::header_timeout_ms, .min = 1, .max = kDayMs,
   .description = "time to receive a request's headers; then 408 and close (slowloris)"},
  {.name = "http.keepalive_timeout_ms", .field = &Settings::keepalive_timeout_ms, .min = 1,
   .max = kDayMs, .description = "an idle keep-alive connection is closed after this"},

  {.name = "limits.max_connections", .field = &Settings::max_connections, .min = 1,
   .max = 10'000'000, .description = "open connections per process; more gets 503 / close 4504"},
  {.name = "limits.max_connections_per_ip", .field = &Settings::max_connections_per_ip, .min = 1,
   .max = 10'000'000, .description = "open connections per client IP; more gets 503 / close 4504"},
  {.name = "limits.max_output_bytes", .field = &Settings::max_output_bytes, .min = kKiB,
   .max = kGiB,
   .description = "pending output per connection before it is evicted as a slow consumer (4008)"},
  {.name = "limits.max_subscriptions", .field = &Settings::max_subscriptions, .min = 1,
   .max = 1'000'000, .description = "channels one connection may subscribe to"},
  {.name = "limits.publish_rate", .field = &Settings::publish_rate, .min = 1, .max = 10'000'000,
   .description = "client publishes per second per connection; more gets 429 / an error reply"},

  {.name = "websocket.max_message", .field = &Settings::ws_max_message, .min = 1, .max = kGiB,
   .description = "largest message (after reassembly); larger gets close 1009"},
  {.name = "websocket.ping_interval_ms", .field = &Settings::ws_ping_interval_ms, .min = 100,
   .max = kDayMs, .description = "server ping period"},
  {.name = "websocket.pong_timeout_ms", .field = &Settings::ws_pong_timeout_ms, .min = 100,
   .max = kDayMs, .description = "no pong within this after a ping gets close 4010"},

  {.name = "sse.heartbeat_ms", .field = &Settings::sse_heartbeat_ms, .min = 100, .max = kDayMs,
   .description = "a comment line is sent after this much silence"},
  {.name = "sse.retry_ms", .field = &Settings::sse_retry_ms, .min = 0, .max = kDayMs,
   .description = "the retry: field: EventSource reconnect delay"},

  {.name = "poll.max_wait_sec", .field = &Settings::poll_max_wait_sec, .min = 0, .max = 3600,
   .description = "longest long-poll wait; larger wait= values are capped to it"},
  {.name = "poll.max_channels", .field = &Settings::poll_max_channels, .min = 1, .max = 10'000,
   .description = "channels per poll request"},
};

const KeyDef<NamespaceSettings> kNamespaceKeys[] = {
  {.name = "history_size", .field = &NamespaceSettings::history_size, .min = 0, .max = 1'000'000,
   .description = "messages kept per channel for recovery; 0 disables history"},
  {.name = "history_ttl", .field = &NamespaceSettings::history_ttl_sec, .min = 0,
   .max = 31'536'000, .type_note = "seconds",
   .description = "how long a message stays in history; 0 disables history"},
  {.name = "anonymous", .field = &NamespaceSettings::anonymous,
   .description = "clients without a token may subscribe (loopback peers only)"},
  {.name = "publish", .field = &NamespaceSettings::publish,
   .description = "clients (not only the HTTP API) may publish"},
  {.name = "presence", .field = &NamespaceSettings::presence,
   .description = "presence queries are allowed"},
};
// clang-format on
#pragma GCC diagnostic pop

constexpr std::string_view kChannelSection = "channel";
constexpr std::string_view kNamespaceSection = "namespace";

// ---------------------------------------------------------------------------------------------
// Values: each layer turns its input into a Value of the key's kind, then store() checks the
// range and assigns it, so the three layers agree on what is valid.

enum class Kind { integer, boolean, string, strings };
using Value = std::variant<int64_t, bool, std::string, std::vector<std::string>>;

template <class P>
struct MemberOf;
template <class M, class O>
struct MemberOf<M O::*> {
  using type = M;
};

template <class T>
constexpr Kind kind_for() {
  if constexpr (std::is_same_v<T, bool>) return Kind::boolean;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return Kind::integer;
  if constexpr (std::is_same_v<T, std::string>) return Kind::string;
  return Kind::strings;
}

template <class Owner>
Kind kind_of(const KeyDef<Owner>& k) {
  return std::visit([](auto p) { return kind_for<typename MemberOf<decltype(p)>::type>(); },
                    k.field);
}

std::string_view kind_name(Kind kind) {
  constexpr std::string_view kNames[] = {"integer", "boolean", "string", "array of strings"};
  return kNames[static_cast<int>(kind)];
}

/// Checks `v` (of the key's kind) against the key's range or check and assigns it to `owner`.
/// Returns "" or the message.
template <class Owner>
std::string store(const KeyDef<Owner>& k, const Value& v, Owner& owner) {
  return std::visit(
      [&](auto p) -> std::string {
        using T = typename MemberOf<decltype(p)>::type;
        if constexpr (std::is_same_v<T, bool>) {
          owner.*p = std::get<bool>(v);
        } else if constexpr (std::is_integral_v<T>) {
          int64_t n = std::get<int64_t>(v);
          if (n < k.min || n > k.max)
            return "out of range: " + std::to_string(n) + " is not in " + std::to_string(k.min) +
                   ".." + std::to_string(k.max);
          owner.*p = static_cast<T>(n);
        } else if constexpr (std::is_same_v<T, std::string>) {
          const auto& text = std::get<std::string>(v);
          if (k.check)
            if (std::string m = k.check(text); !m.empty()) return m;
          owner.*p = text;
        } else {
          const auto& list = std::get<std::vector<std::string>>(v);
          for (size_t i = 0; i < list.size(); ++i)
            if (k.check)
              if (std::string m = k.check(list[i]); !m.empty())
                return "element " + std::to_string(i + 1) + ": " + m;
          owner.*p = list;
        }
        return {};
      },
      k.field);
}

/// Text (environment variable or flag value) to a Value of `kind`.
std::optional<Value> from_text(Kind kind, std::string_view text, std::string& err) {
  switch (kind) {
    case Kind::integer: {
      int64_t n = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc::result_out_of_range) {
        err = "out of range: " + std::string(text);
        return std::nullopt;
      }
      if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
        err = "expected an integer, got \"" + std::string(text) + "\"";
        return std::nullopt;
      }
      return Value(n);
    }
    case Kind::boolean: {
      std::string t(text);
      std::transform(t.begin(), t.end(), t.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (t == "true" || t == "1" || t == "yes" || t == "on") return Value(true);
      if (t == "false" || t == "0" || t == "no" || t == "off") return Value(false);
      err =
          "expected a boolean (true/false, 1/0, yes/no, on/off), got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    case Kind::string:
      return Value(std::string(text));
    case Kind::strings: {
      // Comma-separated; blanks around items are dropped; "" is the empty list.
      std::vector<std::string> list;
      if (text.find_first_not_of(' ') == std::string_view::npos) return Value(list);
      size_t start = 0;
      while (true) {
        size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma - start);
        size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
        list.emplace_back(b == std::string_view::npos ? "" : item.substr(b, e - b + 1));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return Value(std::move(list));
    }
  }
  return std::nullopt;
}

std::string_view toml_type_name(const toml::node& n) {
  // In the order of toml::node_type.
  constexpr std::string_view kNames[] = {"nothing", "table",   "array", "string", "integer",
                                         "float",   "boolean", "date",  "time",   "date-time"};
  auto i = static_cast<size_t>(n.type());
  return i < std::size(kNames) ? kNames[i] : "nothing";
}

int line_of(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

/// The smallest edit distance of `word` to `candidates`, if close enough to be a typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (word[i - 1] != c[j - 1])});
        diag = up;
      }
    }
    if (row[c.size()] < best_d) best_d = row[c.size()], best = c;
  }
  return best;
}

std::string unknown_key_message(std::string_view what, std::string_view word,
                                const std::vector<std::string>& candidates) {
  std::string m = "unknown " + std::string(what);
  if (std::string near = closest(word, candidates); !near.empty())
    m += " (did you mean " + near + "?)";
  return m;
}

std::string_view section_of(std::string_view dotted) {
  return dotted.substr(0, dotted.find('.'));
}

std::vector<std::string> section_names() {
  std::vector<std::string> out;
  for (const auto& k : kKeys)
    if (std::find(out.begin(), out.end(), section_of(k.name)) == out.end())
      out.emplace_back(section_of(k.name));
  out.emplace_back(kChannelSection);
  out.emplace_back(kNamespaceSection);
  return out;
}

bool valid_namespace_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '@' || c == '#' || c == '=' || c == '-';
  });
}

std::string bad_namespace_message(std::string_view name) {
  return "invalid namespace name \"" + std::string(name) +
         "\": 1-255 characters of [A-Za-z0-9_.@#=-] (no ':')";
}

NamespaceSettings& namespace_slot(Settings& s, std::string_view name) {
  for (auto& ns : s.namespaces)
    if (ns.name == name) return ns;
  // A new namespace starts from the built-in namespace defaults, not from [channel]: a
  // namespace's options never depend on the order layers or sections were applied in.
  s.namespaces.push_back(NamespaceSettings{});
  s.namespaces.back().name = std::string(name);
  return s.namespaces.back();
}

// ---------------------------------------------------------------------------------------------
// TOML layer.

class TomlApplier {
 public:
  TomlApplier(std::string_view source, std::vector<ConfigError>& errors)
      : source_(source), errors_(errors) {}

  void apply_root(const toml::table& root, Settings& s) {
    const std::vector<std::string> sections = section_names();
    for (auto&& [key, node] : root) {
      std::string_view name = key.str();
      int line = key_line(key, node);
      if (std::find(sections.begin(), sections.end(), name) == sections.end()) {
        error(line, std::string(name),
              node.is_table() ? unknown_key_message("section", name, sections)
                              : top_level_key_message(name));
        continue;
      }
      const toml::table* table = node.as_table();
      if (!table) {
        error(line, std::string(name),
              "expected a table ([" + std::string(name) + "]), got " +
                  std::string(toml_type_name(node)));
        continue;
      }
      if (name == kNamespaceSection) {
        apply_namespaces(*table, s);
      } else if (name == kChannelSection) {
        apply_namespace_table(*table, kChannelSection, s.channel_defaults);
      } else {
        apply_section(*table, name, s);
      }
    }
  }

 private:
  static int key_line(const toml::key& key, const toml::node& node) {
    int line = static_cast<int>(key.source().begin.line);
    return line > 0 ? line : line_of(node);
  }

  /// A value outside any section: most likely a key written without its [section].
  static std::string top_level_key_message(std::string_view name) {
    for (const auto& k : kKeys)
      if (k.name.substr(k.name.find('.') + 1) == name)
        return "unknown key at top level (did you mean " + std::string(k.name) + "?)";
    return "unknown key at top level: keys belong in a section, e.g. [server]";
  }

  void error(int line, std::string key, std::string message) {
    errors_.push_back({std::string(source_), line, std::move(key), std::move(message)});
  }

  void apply_section(const toml::table& table, std::string_view section, Settings& s) {
    std::vector<std::string> names;
    for (const auto& k : kKeys)
      if (section_of(k.name) == section) names.emplace_back(k.name.substr(section.size() + 1));
    for (auto&& [key, node] : table) {
      std::string dotted = std::string(section) + "." + std::string(key.str());
      const KeyDef<Settings>* def = nullptr;
      for (const auto& k : kKeys)
        if (k.name == dotted) def = &k;
      if (!def) {
        error(key_line(key, node), dotted, unknown_key_message("key", key.str(), names));
        continue;
      }
      apply_value(*def, node, dotted, s);
    }
  }

  void apply_namespaces(const toml::table& table, Settings& s) {
    for (auto&& [key, node] : table) {
      std::string_view name = key.str();
      std::string dotted = std::string(kNamespaceSection) + "." + std::string(name);
      if (!valid_namespace_name(name)) {
        error(key_line(key, node), dotted, bad_namespace_message(name));
        continue;
      }
      const toml::table* ns_table = node.as_table();
      if (!ns_table) {
        error(key_line(key, node), dotted,
              "expected a table ([namespace." + std::string(name) + "]), got " +
                  std::string(toml_type_name(node)));
        continue;
      }
      apply_namespace_table(*ns_table, dotted, namespace_slot(s, name));
    }
  }

  void apply_namespace_table(const toml::table& table, std::string_view prefix,
                             NamespaceSettings& ns) {
    std::vector<std::string> names;
    for (const auto& k : kNamespaceKeys) names.emplace_back(k.name);
    for (auto&& [key, node] : table) {
      std::string dotted = std::string(prefix) + "." + std::string(key.str());
      const KeyDef<NamespaceSettings>* def = nullptr;
      for (const auto& k : kNamespaceKeys)
        if (k.name == key.str()) def = &k;
      if (!def) {
        std::string m = unknown_key_message("key", key.str(), names);
        // [namespace.a.b] makes a table "b" inside namespace "a": say how to spell "a.b".
        if (node.is_table() && prefix != kChannelSection)
          m += "; a namespace name containing '.' must be quoted: [namespace.\"" +
               std::string(prefix.substr(kNamespaceSection.size() + 1)) + "." +
               std::string(key.str()) + "\"]";
        error(key_line(key, node), dotted, m);
        continue;
      }
      apply_value(*def, node, dotted, ns);
    }
  }

  template <class Owner>
  void apply_value(const KeyDef<Owner>& def, const toml::node& node, const std::string& dotted,
                   Owner& owner) {
    Kind kind = kind_of(def);
    std::optional<Value> v;
    switch (kind) {
      case Kind::integer:
        if (auto n = node.value_exact<int64_t>()) v = Value(*n);
        break;
      case Kind::boolean:
        if (auto b = node.value_exact<bool>()) v = Value(*b);
        break;
      case Kind::string:
        if (auto str = node.value_exact<std::string>()) v = Value(std::move(*str));
        break;
      case Kind::strings:
        if (const toml::array* arr = node.as_array()) {
          std::vector<std::string> list;
          bool ok = true;
          for (size_t i = 0; i < arr->size(); ++i) {
            const toml::node& el = *arr->get(i);
            if (auto str = el.value_exact<std::string>()) {
              list.push_back(std::move(*str));
            } else {
              error(line_of(el), dotted,
                    "element " + std::to_string(i + 1) + ": expected string, got " +
                        std::string(toml_type_name(el)));
              ok = false;
            }
          }
          if (!ok) return;
          v = Value(std::move(list));
        }
        break;
    }
    if (!v) {
      error(line_of(node), dotted,
            "expected " + std::string(kind_name(kind)) + ", got " +
                std::string(toml_type_name(node)));
      return;
    }
    if (std::string m = store(def, *v, owner); !m.empty()) error(line_of(node), dotted, m);
  }

  std::string_view source_;
  std::vector<ConfigError>& errors_;
};

// ---------------------------------------------------------------------------------------------
// Text layers (environment and flags) share one path: a dotted key and a text value.

/// Applies `value` to dotted `key`; returns "" or the message (an unknown key included).
std::string apply_text(std::string_view key, std::string_view value, Settings& s) {
  std::string dotted(key);
  if (dotted.find('.') == std::string::npos) dotted = "server." + dotted;  // [server] shorthand
  for (const auto& k : kKeys) {
    if (k.name != dotted) continue;
    std::string err;
    auto v = from_text(kind_of(k), value, err);
    return v ? store(k, *v, s) : err;
  }
  std::string_view section = section_of(dotted);
  std::string_view rest = std::string_view(dotted).substr(section.size() + 1);
  NamespaceSettings* ns = nullptr;
  if (section == kChannelSection) {
    ns = &s.channel_defaults;
  } else if (section == kNamespaceSection) {
    size_t dot = rest.rfind('.');
    std::string_view name = rest.substr(0, dot);
    if (dot == std::string_view::npos || !valid_namespace_name(name))
      return dot == std::string_view::npos ? "expected namespace.NAME.KEY"
                                           : bad_namespace_message(name);
    rest = rest.substr(dot + 1);
    ns = &namespace_slot(s, name);
  }
  if (ns) {
    for (const auto& k : kNamespaceKeys) {
      if (k.name != rest) continue;
      std::string err;
      auto v = from_text(kind_of(k), value, err);
      return v ? store(k, *v, *ns) : err;
    }
  }
  std::vector<std::string> names;
  for (const auto& k : kKeys) names.emplace_back(k.name);
  for (const auto& k : kNamespaceKeys) names.push_back("channel." + std::string(k.name));
  return unknown_key_message("key", dotted, names);
}

std::string upper_env(std::string_view dotted) {
  std::string out = "HERALD_";
  for (char c : dotted) out += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// Maps an environment variable name to a dotted key; "" when the name is not config.
/// `unknown` is set when the name is under a config section's prefix but names no key.
std::string env_to_key(std::string_view var, const Settings& s, bool& unknown) {
  unknown = false;
  for (const auto& k : kKeys) {
    if (var == upper_env(k.name)) return std::string(k.name);
    if (section_of(k.name) == "server" && var == upper_env(k.name.substr(7)))
      return std::string(k.name);
  }
  for (const auto& k : kNamespaceKeys)
    if (var == upper_env(std::string(kChannelSection) + "." + std::string(k.name)))
      return std::string(kChannelSection) + "." + std::string(k.name);
  const std::string ns_prefix = upper_env(kNamespaceSection) + "_";
  if (var.substr(0, ns_prefix.size()) == ns_prefix) {
    std::string_view rest = var.substr(ns_prefix.size());
    for (const auto& k : kNamespaceKeys) {
      std::string suffix = upper_env(k.name).substr(6);  // "_HISTORY_SIZE"
      if (rest.size() <= suffix.size() || rest.substr(rest.size() - suffix.size()) != suffix)
        continue;
      std::string_view name = rest.substr(0, rest.size() - suffix.size());
      // Variable names are upper case by habit: match a known namespace whatever its case,
      // else create the namespace in lower case.
      std::string chosen;
      for (const auto& ns : s.namespaces)
        if (iequal(ns.name, name)) chosen = ns.name;
      if (chosen.empty())
        std::transform(name.begin(), name.end(), std::back_inserter(chosen),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return std::string(kNamespaceSection) + "." + chosen + "." + std::string(k.name);
    }
    unknown = true;
    return {};
  }
  for (const auto& section : section_names())
    if (var.substr(0, upper_env(section).size() + 1) == upper_env(section) + "_") unknown = true;
  return {};
}

template <class T>
std::string show(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + v + "\"";
  } else {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    return out + "]";
  }
}

template <class Owner>
KeyInfo key_info(const KeyDef<Owner>& k, std::string key, const Owner& defaults) {
  KeyInfo info;
  info.key = std::move(key);
  Kind kind = kind_of(k);
  info.type = std::string(kind_name(kind));
  if (kind == Kind::integer)
    info.type += " " + std::to_string(k.min) + ".." + std::to_string(k.max);
  if (!k.type_note.empty()) info.type += " (" + std::string(k.type_note) + ")";
  info.default_value = std::visit([&](auto p) { return show(defaults.*p); }, k.field);
  info.description = std::string(k.description);
  return info;
}

}  // namespace

base::Settings default_settings() {
  Settings s;
  NamespaceSettings pub;
  pub.name = "public";
  pub.anonymous = true;
  pub.publish = true;
  s.namespaces.push_back(std::move(pub));
  return s;
}

bool apply_toml(std::string_view text, std::string_view source, base::Settings& s,
                std::vector<ConfigError>& errors) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    errors.push_back({std::string(source), static_cast<int>(e.source().begin.line), "",
                      "syntax error: " + std::string(e.description())});
    return false;
  }
  size_t before = errors.size();
  Settings next = s;
  TomlApplier(source, errors).apply_root(root, next);
  if (errors.size() != before) {
    // toml++ tables iterate in key order; a reader wants the file's order.
    std::stable_sort(errors.begin() + static_cast<ptrdiff_t>(before), errors.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    return false;
  }
  s = std::move(next);
  return true;
}

bool apply_toml_file(const std::string& path, base::Settings& s, std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, 0, "", std::string("cannot read: ") + std::strerror(errno)});
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return apply_toml(text.str(), path, s, errors);
}

bool apply_env(char** envp, base::Settings& s, std::vector<ConfigError>& errors) {
  size_t before = errors.size();
  Settings next = s;
  for (char** e = envp; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    std::string_view var = entry.substr(0, eq);
    if (eq == std::string_view::npos || var.substr(0, 7) != "HERALD_") continue;
    std::string_view value = entry.substr(eq + 1);
    bool unknown = false;
    std::string key = env_to_key(var, next, unknown);
    if (unknown) {
      errors.push_back({"env", 0, std::string(var), "unknown configuration variable"});
      continue;
    }
    if (key.empty()) continue;
    if (std::string m = apply_text(key, value, next); !m.empty())
      errors.push_back({"env", 0, std::string(var), key + ": " + m});
  }
  if (errors.size() != before) return false;
  s = std::move(next);
  return true;
}

bool apply_override(std::string_view key, std::string_view value, std::string_view source,
                    base::Settings& s, std::vector<ConfigError>& errors) {
  Settings next = s;
  if (std::string m = apply_text(key, value, next); !m.empty()) {
    errors.push_back({std::string(source), 0, std::string(key), m});
    return false;
  }
  s = std::move(next);
  return true;
}

std::string format_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.source;
    if (e.line > 0) out += ":" + std::to_string(e.line);
    out += ": ";
    if (!e.key.empty()) out += e.key + ": ";
    out += e.message;
    out += '\n';
  }
  return out;
}

const std::vector<KeyInfo>& config_keys() {
  static const std::vector<KeyInfo> keys = [] {
    std::vector<KeyInfo> out;
    const Settings defaults = default_settings();
    for (const auto& k : kKeys) out.push_back(key_info(k, std::string(k.name), defaults));
    for (const auto& k : kNamespaceKeys)
      out.push_back(key_info(k, "channel." + std::string(k.name), defaults.channel_defaults));
    const NamespaceSettings ns_defaults;
    for (const auto& k : kNamespaceKeys)
      out.push_back(key_info(k, "namespace.NAME." + std::string(k.name), ns_defaults));
    return out;
  }();
  return keys;
}

}  // namespace herald::server
