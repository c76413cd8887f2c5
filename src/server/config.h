#pragma once
// Configuration: fills a base::Settings from four layers, each applied on top of the previous
// one (docs/configuration.md):
//
//   built-in defaults  <  TOML file (--config FILE)  <  HERALD_* environment  <  flags
//
// Every layer goes through one table of keys (config_table.cpp), so a key has the same name,
// type, range and meaning everywhere; config_keys() exposes that table to --help and the docs.
//
// Namespaces inherit [channel] (docs/protocol.md): a namespace key that no layer set for that
// namespace itself follows channel.KEY, whichever layer set channel.KEY and in whatever order. So
// `--history-size 20000` also reaches public:* channels, and [namespace.chat] history_size = 500
// stays 500. SettingsBuilder tracks which keys each namespace sets itself across layers; the
// free functions below, which see only a Settings, infer it (see SettingsBuilder(Settings)).
//
// This is start-up / SIGHUP code, off the data path.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/settings.h"

namespace herald::server {

/// One problem found in one layer. Layers report every problem they find, not just the first.
struct ConfigError {
  std::string source;  // file path, "env", or the flag the caller named (e.g. "--threads")
  int line = 0;        // 1-based line in `source`; 0 if none
  std::string key;     // dotted key ("http.max_body"), or the variable name for env errors
  std::string message;
};

/// Built-in defaults: base::Settings{} plus namespace "public" with anonymous=true and
/// publish=true (docs/security.md: the built-in config opens only the public: namespace, and only
/// to loopback peers, which the default listen address already implies).
base::Settings default_settings();

/// Settings under construction, and which namespace keys each namespace sets itself (a bit per
/// entry of the namespace key table, config_table.cpp). The layers fill it; SettingsBuilder owns
/// it. Invariant between layers: every key a namespace does not set itself equals [channel]'s.
struct ConfigDraft {
  base::Settings settings;
  std::vector<std::pair<std::string, uint32_t>> own_keys;  // namespace name -> key bits
};

/// Builds Settings from the layers in order. Each apply_* is the free function of the same name
/// (below) on the settings built so far, all or nothing, except that the builder remembers which
/// namespace keys some layer set: the others follow [channel] whatever layer sets it later.
///
///   SettingsBuilder b;                      // built-in defaults
///   b.apply_toml_file(path, errors);        // then env, then flags
///   b.apply_env(environ, errors);
///   b.apply_override("channel.history_size", "20000", "--history-size", errors);
///   base::Settings s = b.settings();        // valid when `errors` is empty
class SettingsBuilder {
 public:
  /// Starts from default_settings(); the built-in public namespace sets anonymous and publish
  /// itself, its other keys follow [channel].
  SettingsBuilder();
  /// Starts from `s`, inferring that a namespace sets a key itself when its value differs from
  /// [channel]'s. Exact for settings that came out of default_settings() and one layer; a key a
  /// namespace set to [channel]'s value in an earlier layer is taken as inherited.
  explicit SettingsBuilder(base::Settings s);

  /// Defined in config_toml.cpp (the only file that includes toml++).
  /// `base_dir`: the folder relative file paths (keys marked `path`) are resolved against.
  bool apply_toml(std::string_view text, std::string_view source, std::vector<ConfigError>& errors,
                  std::string_view base_dir = {});
  bool apply_toml_file(const std::string& path, std::vector<ConfigError>& errors);
  bool apply_env(char** envp, std::vector<ConfigError>& errors);
  bool apply_override(std::string_view key, std::string_view value, std::string_view source,
                      std::vector<ConfigError>& errors);

  /// The settings so far, namespaces resolved against [channel].
  const base::Settings& settings() const { return draft_.settings; }

 private:
  ConfigDraft draft_;
};

/// Applies a TOML document (text) on top of `s`. Reports EVERY error (unknown key or section,
/// wrong type, out-of-range value, bad listen address, invalid namespace name) with its line;
/// a TOML syntax error stops parsing and is reported alone, with its line. All or nothing: `s`
/// is changed only when there were no errors. Returns true when there were none. `source`
/// names the document in messages (the file path). Namespace keys the document leaves unset
/// follow [channel] as SettingsBuilder(s) infers them.
bool apply_toml(std::string_view text, std::string_view source, base::Settings& s,
                std::vector<ConfigError>& errors);

/// Reads `path` and applies it as apply_toml() does; a file that cannot be read is one error.
bool apply_toml_file(const std::string& path, base::Settings& s, std::vector<ConfigError>& errors);

/// Applies HERALD_* variables from `envp` (a null-terminated "NAME=VALUE" array, as environ).
/// Names: the dotted key upper-cased with '.' -> '_' (HERALD_HTTP_MAX_BODY), and keys of
/// [server] without the section (HERALD_LISTEN, HERALD_THREADS); namespaces as
/// HERALD_NAMESPACE_<NAME>_<KEY> (NAME matched case-insensitively). A variable under a config
/// section's prefix (HERALD_HTTP_, HERALD_CHANNEL_, ...) that names no key is an error; other
/// HERALD_* variables (HERALD_SOURCE, ...) are not config and are ignored. All or nothing, as
/// apply_toml().
bool apply_env(char** envp, base::Settings& s, std::vector<ConfigError>& errors);

/// Applies one "key=value" override given by a flag: `key` is the dotted TOML name
/// ("channel.history_size", "namespace.chat.presence"; [server] keys may drop "server."),
/// `value` is text parsed by the key's type (integers in decimal, booleans true/false/1/0/
/// yes/no/on/off, arrays comma-separated). `source` names the flag in messages.
bool apply_override(std::string_view key, std::string_view value, std::string_view source,
                    base::Settings& s, std::vector<ConfigError>& errors);

/// One line per error, each ending in '\n': "FILE:LINE: key: message" (": LINE" left out when
/// the line is 0, "key: " when there is no key).
std::string format_errors(const std::vector<ConfigError>& errors);

/// Every key with its type (and range), default and one-line description, in table order
/// (used by docs/configuration.md and `--help`). Namespace keys appear twice: as channel.KEY
/// (the options of channels without a namespace) and as namespace.NAME.KEY, whose default_value
/// is "channel.KEY": a namespace follows [channel] for the keys it does not set.
struct KeyInfo {
  std::string key;
  std::string type;
  std::string default_value;
  std::string description;
  std::string environment;  // the HERALD_* variable that sets it
};
const std::vector<KeyInfo>& config_keys();

/// The "Every key" table of docs/configuration.md, one Markdown row per key, generated from
/// the key table (`herald check-config --keys` prints it; a unit test checks the doc has it).
std::string config_keys_markdown();

}  // namespace herald::server
