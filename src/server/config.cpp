// The configuration's built-in defaults, text layers (environment and flags) and error format.
// The key tables are in config_table.cpp (read and stored by config_keys.cpp), the TOML layer in
// config_toml.cpp.
#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "server/config_keys.h"

namespace herald::server {
namespace {

using base::NamespaceSettings;
using base::Settings;
using namespace config_detail;

// ---------------------------------------------------------------------------------------------
// Text layers (environment and flags) share one path: a dotted key and a text value.

/// Applies `value` to dotted `key`; returns "" or the message (an unknown key included).
std::string apply_text(std::string_view key, std::string_view value, ConfigDraft& d) {
  std::string dotted(key);
  if (dotted.find('.') == std::string::npos) dotted = "server." + dotted;  // [server] shorthand
  for (const auto& k : settings_keys()) {
    if (k.name != dotted) continue;
    std::string err;
    auto v = from_text(kind_of(k), value, err);
    return v ? store(k, *v, d.settings) : err;
  }
  std::string_view section = section_of(dotted);
  std::string_view rest = std::string_view(dotted).substr(section.size() + 1);
  NamespaceSettings* ns = nullptr;
  std::string_view name;  // "" for [channel]
  if (section == kChannelSection) {
    ns = &d.settings.channel_defaults;
  } else if (section == kNamespaceSection) {
    size_t dot = rest.rfind('.');
    name = rest.substr(0, dot);
    if (dot == std::string_view::npos || !valid_namespace_name(name))
      return dot == std::string_view::npos ? "expected namespace.NAME.KEY"
                                           : bad_namespace_message(name);
    rest = rest.substr(dot + 1);
    ns = &namespace_slot(d, name);
  }
  if (ns) {
    for (const auto& k : namespace_keys()) {
      if (k.name != rest) continue;
      std::string err;
      auto v = from_text(kind_of(k), value, err);
      if (!v) return err;
      std::string m = store(k, *v, *ns);
      if (m.empty()) mark_own(d, name, k);
      return m;
    }
  }
  std::vector<std::string> names;
  for (const auto& k : settings_keys()) names.emplace_back(k.name);
  for (const auto& k : namespace_keys()) names.push_back("channel." + std::string(k.name));
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
  for (const auto& k : settings_keys()) {
    if (var == upper_env(k.name)) return std::string(k.name);
    if (section_of(k.name) == "server" && var == upper_env(k.name.substr(7)))
      return std::string(k.name);
  }
  for (const auto& k : namespace_keys())
    if (var == upper_env(std::string(kChannelSection) + "." + std::string(k.name)))
      return std::string(kChannelSection) + "." + std::string(k.name);
  const std::string ns_prefix = upper_env(kNamespaceSection) + "_";
  if (var.substr(0, ns_prefix.size()) == ns_prefix) {
    std::string_view rest = var.substr(ns_prefix.size());
    for (const auto& k : namespace_keys()) {
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

// The one namespace of the built-in configuration (docs/security.md): public:* channels are open to
// clients without a token. Only these two keys are its own; history and presence follow
// [channel], so `--history-size` reaches public:* too.
constexpr std::string_view kPublic = "public";

void mark_builtin_own(ConfigDraft& d) {
  for (const auto& ns : d.settings.namespaces)
    if (ns.name == kPublic)
      for (const auto& k : namespace_keys())
        if (k.name == "anonymous" || k.name == "publish") mark_own(d, kPublic, k);
}

}  // namespace

base::Settings default_settings() {
  return SettingsBuilder().settings();
}

SettingsBuilder::SettingsBuilder() {
  NamespaceSettings& pub = namespace_slot(draft_, kPublic);
  pub.anonymous = true;
  pub.publish = true;
  mark_builtin_own(draft_);
}

SettingsBuilder::SettingsBuilder(base::Settings s) {
  draft_.own_keys = infer_own_keys(s);
  draft_.settings = std::move(s);
  // Settings that came from default_settings() had them set by the built-in layer, even when
  // a later layer made [channel] equal to them.
  mark_builtin_own(draft_);
}

bool SettingsBuilder::apply_env(char** envp, std::vector<ConfigError>& errors) {
  size_t before = errors.size();
  ConfigDraft next = draft_;
  for (char** e = envp; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    std::string_view var = entry.substr(0, eq);
    if (eq == std::string_view::npos || var.substr(0, 7) != "HERALD_") continue;
    std::string_view value = entry.substr(eq + 1);
    bool unknown = false;
    std::string key = env_to_key(var, next.settings, unknown);
    if (unknown) {
      errors.push_back({"env", 0, std::string(var), "unknown configuration variable"});
      continue;
    }
    if (key.empty()) continue;
    if (std::string m = apply_text(key, value, next); !m.empty())
      errors.push_back({"env", 0, std::string(var), key + ": " + m});
  }
  if (errors.size() != before) return false;
  inherit_channel(next);
  draft_ = std::move(next);
  return true;
}

bool SettingsBuilder::apply_override(std::string_view key, std::string_view value,
                                     std::string_view source, std::vector<ConfigError>& errors) {
  ConfigDraft next = draft_;
  if (std::string m = apply_text(key, value, next); !m.empty()) {
    errors.push_back({std::string(source), 0, std::string(key), m});
    return false;
  }
  inherit_channel(next);
  draft_ = std::move(next);
  return true;
}

// The free functions: one layer on a Settings whose namespace keys are inferred (see
// SettingsBuilder(Settings)).

bool apply_toml(std::string_view text, std::string_view source, base::Settings& s,
                std::vector<ConfigError>& errors) {
  SettingsBuilder b(s);
  if (!b.apply_toml(text, source, errors)) return false;
  s = b.settings();
  return true;
}

bool apply_toml_file(const std::string& path, base::Settings& s, std::vector<ConfigError>& errors) {
  SettingsBuilder b(s);
  if (!b.apply_toml_file(path, errors)) return false;
  s = b.settings();
  return true;
}

bool apply_env(char** envp, base::Settings& s, std::vector<ConfigError>& errors) {
  SettingsBuilder b(s);
  if (!b.apply_env(envp, errors)) return false;
  s = b.settings();
  return true;
}

bool apply_override(std::string_view key, std::string_view value, std::string_view source,
                    base::Settings& s, std::vector<ConfigError>& errors) {
  SettingsBuilder b(s);
  if (!b.apply_override(key, value, source, errors)) return false;
  s = b.settings();
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

}  // namespace herald::server
