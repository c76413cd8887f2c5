#include "server/config_keys.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <type_traits>

#include "server/config.h"

namespace herald::server::config_detail {
namespace {

using base::NamespaceSettings;
using base::Settings;

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
Kind kind_of_key(const KeyDef<Owner>& k) {
  return std::visit([](auto p) { return kind_for<typename MemberOf<decltype(p)>::type>(); },
                    k.field);
}

template <class Owner>
std::string store_key(const KeyDef<Owner>& k, const Value& v, Owner& owner) {
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

Kind kind_of(const SettingsKey& k) {
  return kind_of_key(k);
}

Kind kind_of(const NamespaceKey& k) {
  return kind_of_key(k);
}

std::string_view kind_name(Kind kind) {
  constexpr std::string_view kNames[] = {"integer", "boolean", "string", "array of strings"};
  return kNames[static_cast<int>(kind)];
}

std::string store(const SettingsKey& k, const Value& v, Settings& owner) {
  return store_key(k, v, owner);
}

std::string store(const NamespaceKey& k, const Value& v, NamespaceSettings& owner) {
  return store_key(k, v, owner);
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
  for (const auto& k : settings_keys())
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

namespace {

uint32_t key_bit(const NamespaceKey& k) {
  return uint32_t{1} << (&k - namespace_keys().data());
}

uint32_t& own_bits(ConfigDraft& d, std::string_view name) {
  for (auto& [ns, bits] : d.own_keys)
    if (ns == name) return bits;
  return d.own_keys.emplace_back(std::string(name), 0).second;
}

}  // namespace

NamespaceSettings& namespace_slot(ConfigDraft& d, std::string_view name) {
  for (auto& ns : d.settings.namespaces)
    if (ns.name == name) return ns;
  NamespaceSettings& ns = d.settings.namespaces.emplace_back(d.settings.channel_defaults);
  ns.name = std::string(name);
  own_bits(d, name);
  return ns;
}

void mark_own(ConfigDraft& d, std::string_view name, const NamespaceKey& k) {
  if (!name.empty()) own_bits(d, name) |= key_bit(k);
}

void inherit_channel(ConfigDraft& d) {
  const NamespaceSettings& channel = d.settings.channel_defaults;
  for (auto& ns : d.settings.namespaces) {
    uint32_t own = own_bits(d, ns.name);
    for (const auto& k : namespace_keys())
      if (!(own & key_bit(k))) std::visit([&](auto p) { ns.*p = channel.*p; }, k.field);
  }
}

std::vector<std::pair<std::string, uint32_t>> infer_own_keys(const Settings& s) {
  std::vector<std::pair<std::string, uint32_t>> out;
  for (const auto& ns : s.namespaces) {
    uint32_t own = 0;
    for (const auto& k : namespace_keys())
      if (std::visit([&](auto p) { return ns.*p != s.channel_defaults.*p; }, k.field))
        own |= key_bit(k);
    out.emplace_back(ns.name, own);
  }
  return out;
}

}  // namespace herald::server::config_detail

namespace herald::server {

const std::vector<KeyInfo>& config_keys() {
  using config_detail::key_info;
  static const std::vector<KeyInfo> keys = [] {
    std::vector<KeyInfo> out;
    const base::Settings defaults = default_settings();
    for (const auto& k : config_detail::settings_keys())
      out.push_back(key_info(k, std::string(k.name), defaults));
    for (const auto& k : config_detail::namespace_keys())
      out.push_back(key_info(k, "channel." + std::string(k.name), defaults.channel_defaults));
    for (const auto& k : config_detail::namespace_keys()) {
      // A namespace key has no value of its own until set: it follows [channel].
      KeyInfo info =
          key_info(k, "namespace.NAME." + std::string(k.name), defaults.channel_defaults);
      info.default_value = "channel." + std::string(k.name);
      out.push_back(std::move(info));
    }
    for (KeyInfo& info : out) {
      // Server keys drop their section (HERALD_LISTEN); the others keep it.
      std::string_view key = info.key;
      if (key.starts_with("server.")) key.remove_prefix(7);
      info.environment = "HERALD_";
      for (char c : key)
        info.environment +=
            c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
  }();
  return keys;
}

}  // namespace herald::server

std::string herald::server::config_keys_markdown() {
  std::string out = "| key | type | default | environment | description |\n";
  out += "| --- | --- | --- | --- | --- |\n";
  for (const KeyInfo& k : config_keys()) {
    out += "| `" + k.key + "` | " + k.type + " | `" + k.default_value + "` | `" + k.environment +
           "` | " + k.description + " |\n";
  }
  return out;
}
