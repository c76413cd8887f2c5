#pragma once
// Configuration: fills a base::Settings from four layers, each applied on top of the previous
// one (docs/configuration.md):
//
//   built-in defaults  <  TOML file (--config FILE)  <  HERALD_* environment  <  flags
//
// Every layer goes through one table of keys (config_keys.cpp), so a key has the same name, type,
// range and meaning everywhere; config_keys() exposes that table to --help and the docs.
// This is start-up / SIGHUP code, off the data path.
#include <string>
#include <string_view>
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
/// publish=true (SPEC §5: the built-in config opens only the public: namespace, and only to
/// loopback peers, which the default listen address already implies).
base::Settings default_settings();

/// Applies a TOML document (text) on top of `s`. Reports EVERY error (unknown key or section,
/// wrong type, out-of-range value, bad listen address, invalid namespace name) with its line;
/// a TOML syntax error stops parsing and is reported alone, with its line. All or nothing: `s`
/// is changed only when there were no errors. Returns true when there were none. `source`
/// names the document in messages (the file path).
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
/// (the defaults of channels without a namespace) and as namespace.NAME.KEY.
struct KeyInfo {
  std::string key;
  std::string type;
  std::string default_value;
  std::string description;
};
const std::vector<KeyInfo>& config_keys();

}  // namespace herald::server
