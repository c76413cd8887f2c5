// The TOML layer of the configuration (config.h: apply_toml, apply_toml_file).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

// toml++ is a large header: this is the only file that includes it (STYLE: quick builds).
#include <toml++/toml.h>

#include "server/config.h"
#include "server/config_keys.h"

namespace herald::server {
namespace {

using base::NamespaceSettings;
using base::Settings;
using namespace config_detail;

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

// ---------------------------------------------------------------------------------------------
// TOML layer.

class TomlApplier {
 public:
  TomlApplier(std::string_view source, std::string_view base_dir, std::vector<ConfigError>& errors)
      : source_(source), base_dir_(base_dir), errors_(errors) {}

  void apply_root(const toml::table& root, ConfigDraft& d) {
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
        apply_namespaces(*table, d);
      } else if (name == kChannelSection) {
        apply_namespace_table(*table, kChannelSection, "", d.settings.channel_defaults, d);
      } else {
        apply_section(*table, name, d.settings);
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
    for (const auto& k : settings_keys())
      if (k.name.substr(k.name.find('.') + 1) == name)
        return "unknown key at top level (did you mean " + std::string(k.name) + "?)";
    return "unknown key at top level: keys belong in a section, e.g. [server]";
  }

  void error(int line, std::string key, std::string message) {
    errors_.push_back({std::string(source_), line, std::move(key), std::move(message)});
  }

  void apply_section(const toml::table& table, std::string_view section, Settings& s) {
    std::vector<std::string> names;
    for (const auto& k : settings_keys())
      if (section_of(k.name) == section) names.emplace_back(k.name.substr(section.size() + 1));
    for (auto&& [key, node] : table) {
      std::string dotted = std::string(section) + "." + std::string(key.str());
      const KeyDef<Settings>* def = nullptr;
      for (const auto& k : settings_keys())
        if (k.name == dotted) def = &k;
      if (!def) {
        error(key_line(key, node), dotted, unknown_key_message("key", key.str(), names));
        continue;
      }
      apply_value(*def, node, dotted, s);
    }
  }

  void apply_namespaces(const toml::table& table, ConfigDraft& d) {
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
      apply_namespace_table(*ns_table, dotted, name, namespace_slot(d, name), d);
    }
  }

  /// `ns` is [channel] (`name` "") or the namespace `name` of `d`: the keys set here become
  /// the namespace's own.
  void apply_namespace_table(const toml::table& table, std::string_view prefix,
                             std::string_view name, NamespaceSettings& ns, ConfigDraft& d) {
    std::vector<std::string> names;
    for (const auto& k : namespace_keys()) names.emplace_back(k.name);
    for (auto&& [key, node] : table) {
      std::string dotted = std::string(prefix) + "." + std::string(key.str());
      const KeyDef<NamespaceSettings>* def = nullptr;
      for (const auto& k : namespace_keys())
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
      if (apply_value(*def, node, dotted, ns)) mark_own(d, name, *def);
    }
  }

  /// Returns true when the value was stored.
  template <class Owner>
  bool apply_value(const KeyDef<Owner>& def, const toml::node& node, const std::string& dotted,
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
          if (!ok) return false;
          v = Value(std::move(list));
        }
        break;
    }
    if (!v) {
      error(line_of(node), dotted,
            "expected " + std::string(kind_name(kind)) + ", got " +
                std::string(toml_type_name(node)));
      return false;
    }
    // A relative file path in a config file means "next to this file", as a reader of the
    // file expects, not "next to wherever the server was started".
    if (def.path && !base_dir_.empty()) {
      if (auto* text = std::get_if<std::string>(&*v);
          text && !text->empty() && text->front() != '/')
        *text = std::string(base_dir_) + "/" + *text;
    }
    std::string m = store(def, *v, owner);
    if (!m.empty()) error(line_of(node), dotted, m);
    return m.empty();
  }

  std::string_view source_;
  std::string_view base_dir_;  // folder of the config file ("" : text without a file)
  std::vector<ConfigError>& errors_;
};

}  // namespace

bool SettingsBuilder::apply_toml(std::string_view text, std::string_view source,
                                 std::vector<ConfigError>& errors, std::string_view base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    errors.push_back({std::string(source), static_cast<int>(e.source().begin.line), "",
                      "syntax error: " + std::string(e.description())});
    return false;
  }
  size_t before = errors.size();
  ConfigDraft next = draft_;
  TomlApplier(source, base_dir, errors).apply_root(root, next);
  if (errors.size() != before) {
    // toml++ tables iterate in key order; a reader wants the file's order.
    std::stable_sort(errors.begin() + static_cast<ptrdiff_t>(before), errors.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    return false;
  }
  inherit_channel(next);
  draft_ = std::move(next);
  return true;
}

bool SettingsBuilder::apply_toml_file(const std::string& path, std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, 0, "", std::string("cannot read: ") + std::strerror(errno)});
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::error_code ec;
  std::string dir = std::filesystem::absolute(path, ec).parent_path().string();
  return apply_toml(text.str(), path, errors, ec ? std::string() : dir);
}

}  // namespace herald::server
