#pragma once
// What the configuration layers share (internal to src/server/config*.cpp; the public API is
// config.h): the key tables, how a value is checked and stored, key and namespace names.
//
// A key is a name, a pointer to the member it sets (its C++ type gives the config type), a range
// for integers, an optional check for strings, and a description. The TOML layer
// (config_toml.cpp), the environment and flag layers (config.cpp) and config_keys() all read
// these tables, so adding a key is adding one entry (config_table.cpp).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/settings.h"
#include "server/config.h"

namespace herald::server::config_detail {

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
  bool path = false;  // a file path: relative to the config file's folder when set in one
};

using SettingsKey = KeyDef<base::Settings>;
using NamespaceKey = KeyDef<base::NamespaceSettings>;

/// Keys of [server], [http], [limits], [websocket], [sse] and [poll], by dotted name.
std::span<const SettingsKey> settings_keys();
/// Keys of [channel] and [namespace.NAME], by their last part ("history_size").
std::span<const NamespaceKey> namespace_keys();

constexpr std::string_view kChannelSection = "channel";
constexpr std::string_view kNamespaceSection = "namespace";

// Values: each layer turns its input into a Value of the key's kind, then store() checks the
// range and assigns it, so the three layers agree on what is valid.

enum class Kind { integer, boolean, string, strings };
using Value = std::variant<int64_t, bool, std::string, std::vector<std::string>>;

Kind kind_of(const SettingsKey& k);
Kind kind_of(const NamespaceKey& k);
/// "integer", "boolean", "string", "array of strings".
std::string_view kind_name(Kind kind);

/// Checks `v` (of the key's kind) against the key's range or check and assigns it to `owner`.
/// Returns "" or the message.
std::string store(const SettingsKey& k, const Value& v, base::Settings& owner);
std::string store(const NamespaceKey& k, const Value& v, base::NamespaceSettings& owner);

/// Text (environment variable or flag value) to a Value of `kind`; nullopt and `err` set when
/// the text is not one.
std::optional<Value> from_text(Kind kind, std::string_view text, std::string& err);

// Names.

/// "unknown WHAT", plus "(did you mean X?)" when one of `candidates` is close to `word`.
std::string unknown_key_message(std::string_view what, std::string_view word,
                                const std::vector<std::string>& candidates);
/// "http" for "http.max_body".
std::string_view section_of(std::string_view dotted);
/// Every section a file may have, [channel] and [namespace] included.
std::vector<std::string> section_names();
/// 1-255 characters of [A-Za-z0-9_.@#=-]: a channel's namespace is the text before its ':'.
bool valid_namespace_name(std::string_view name);
std::string bad_namespace_message(std::string_view name);

// Inheritance bookkeeping (ConfigDraft, config.h).

/// The namespace called `name` in `d`, added when there is none (with [channel]'s values and no
/// key of its own).
base::NamespaceSettings& namespace_slot(ConfigDraft& d, std::string_view name);
/// Records that namespace `name` sets key `k` itself; "" (the [channel] section) records nothing.
void mark_own(ConfigDraft& d, std::string_view name, const NamespaceKey& k);
/// Sets every key a namespace does not set itself to [channel]'s value.
void inherit_channel(ConfigDraft& d);
/// Which keys each namespace of `s` sets itself, inferred as "differs from [channel]'s value".
std::vector<std::pair<std::string, uint32_t>> infer_own_keys(const base::Settings& s);

}  // namespace herald::server::config_detail
