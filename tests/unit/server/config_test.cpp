#include "server/config.h"
#include "server/config_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace herald::server {
namespace {

using base::Settings;

/// The repository root: $HERALD_SOURCE, else derived from this file's path (CMake compiles
/// sources by absolute path).
std::string source_root() {
  if (const char* env = std::getenv("HERALD_SOURCE")) return env;
  std::string file = __FILE__;
  return file.substr(0, file.rfind("/tests/unit/server/"));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// An environment block that apply_env() reads like `environ`.
class Env {
 public:
  Env(std::initializer_list<std::string> vars) : vars_(vars) {
    for (auto& v : vars_) ptrs_.push_back(v.data());
    ptrs_.push_back(nullptr);
  }
  char** envp() { return ptrs_.data(); }

 private:
  std::vector<std::string> vars_;
  std::vector<char*> ptrs_;
};

const base::NamespaceSettings* find_ns(const Settings& s, std::string_view name) {
  for (const auto& ns : s.namespaces)
    if (ns.name == name) return &ns;
  return nullptr;
}

/// Applies `toml` to the defaults and returns the errors.
std::vector<ConfigError> toml_errors(std::string_view toml, Settings* out = nullptr) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  bool ok = apply_toml(toml, "herald.toml", s, errors);
  EXPECT_EQ(ok, errors.empty());
  if (out) *out = s;
  return errors;
}

TEST(ConfigDefaults, OnlyPublicNamespaceIsOpen) {
  Settings s = default_settings();
  EXPECT_EQ(s.listen, "127.0.0.1:8080");
  EXPECT_FALSE(s.channel_defaults.anonymous);
  EXPECT_FALSE(s.channel_defaults.publish);
  ASSERT_EQ(s.namespaces.size(), 1u);
  EXPECT_TRUE(s.namespace_for("public:lobby").anonymous);
  EXPECT_TRUE(s.namespace_for("public:lobby").publish);
  EXPECT_FALSE(s.namespace_for("chat:room").anonymous);
  EXPECT_FALSE(s.namespace_for("lobby").anonymous);
  EXPECT_EQ(s.channel_defaults.history_size, 100u);
  EXPECT_EQ(s.channel_defaults.history_ttl_sec, 300u);
}

TEST(ConfigToml, EverySectionIsApplied) {
  Settings s;
  auto errors = toml_errors(R"(
[server]
listen = "[::1]:9000"
threads = 3
web_root = "/srv/web"
debug_echo = true
log_level = "warn"
api_key = "s3cret"
allowed_origins = ["https://a.example", "https://b.example:8443"]
drain_ms = 500

[tls]
listen = "0.0.0.0:8443"
cert_file = "/etc/herald/cert.pem"
key_file = "/etc/herald/key.pem"
min_version = "1.3"
ciphers = "TLS_AES_128_GCM_SHA256"
handshake_timeout_ms = 3000

[http]
max_request_line = 4096
max_header_bytes = 8192
max_header_count = 50
max_body = 65_536
header_timeout_ms = 5000
keepalive_timeout_ms = 30000

[limits]
max_connections = 1000
max_connections_per_ip = 10
max_output_bytes = 1048576
max_subscriptions = 16
publish_rate = 50

[websocket]
max_message = 2048
ping_interval_ms = 1000
pong_timeout_ms = 500

[sse]
heartbeat_ms = 3000
retry_ms = 0

[poll]
max_wait_sec = 30
max_channels = 8

[channel]
history_size = 0
history_ttl = 60
presence = false
)",
                            &s);
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(s.listen, "[::1]:9000");
  EXPECT_EQ(s.threads, 3);
  EXPECT_EQ(s.web_root, "/srv/web");
  EXPECT_TRUE(s.debug_echo);
  EXPECT_EQ(s.log_level, "warn");
  EXPECT_EQ(s.api_key, "s3cret");
  EXPECT_EQ(s.allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example:8443"}));
  EXPECT_EQ(s.drain_ms, 500u);
  EXPECT_EQ(s.tls_listen, "0.0.0.0:8443");
  EXPECT_EQ(s.tls_cert_file, "/etc/herald/cert.pem");
  EXPECT_EQ(s.tls_key_file, "/etc/herald/key.pem");
  EXPECT_EQ(s.tls_min_version, "1.3");
  EXPECT_EQ(s.tls_ciphers, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(s.tls_handshake_timeout_ms, 3000u);
  EXPECT_EQ(s.max_request_line, 4096u);
  EXPECT_EQ(s.max_header_bytes, 8192u);
  EXPECT_EQ(s.max_header_count, 50u);
  EXPECT_EQ(s.max_body, 65536u);
  EXPECT_EQ(s.header_timeout_ms, 5000u);
  EXPECT_EQ(s.keepalive_timeout_ms, 30000u);
  EXPECT_EQ(s.max_connections, 1000u);
  EXPECT_EQ(s.max_connections_per_ip, 10u);
  EXPECT_EQ(s.max_output_bytes, 1048576u);
  EXPECT_EQ(s.max_subscriptions, 16u);
  EXPECT_EQ(s.publish_rate, 50u);
  EXPECT_EQ(s.ws_max_message, 2048u);
  EXPECT_EQ(s.ws_ping_interval_ms, 1000u);
  EXPECT_EQ(s.ws_pong_timeout_ms, 500u);
  EXPECT_EQ(s.sse_heartbeat_ms, 3000u);
  EXPECT_EQ(s.sse_retry_ms, 0u);
  EXPECT_EQ(s.poll_max_wait_sec, 30u);
  EXPECT_EQ(s.poll_max_channels, 8u);
  EXPECT_EQ(s.channel_defaults.history_size, 0u);
  EXPECT_EQ(s.channel_defaults.history_ttl_sec, 60u);
  EXPECT_FALSE(s.channel_defaults.presence);
  // Keys the file does not name keep their previous value.
  EXPECT_TRUE(s.namespace_for("public:x").anonymous);
}

TEST(ConfigToml, AnEmptyListenTurnsThatListenerOff) {
  Settings s;
  auto errors = toml_errors("[server]\nlisten = \"\"\n[tls]\nlisten = \"127.0.0.1:8443\"\n", &s);
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(s.listen, "");
  EXPECT_EQ(s.tls_listen, "127.0.0.1:8443");
  EXPECT_EQ(Settings{}.tls_listen, "");  // no TLS unless asked for
}

TEST(ConfigToml, EmptyDocumentChangesNothing) {
  Settings s;
  EXPECT_TRUE(toml_errors("# nothing\n", &s).empty());
  EXPECT_EQ(s.listen, default_settings().listen);
  EXPECT_EQ(s.namespaces.size(), 1u);
}

TEST(ConfigToml, ArrayCanBeEmptyOrMultiLine) {
  Settings s;
  ASSERT_TRUE(toml_errors("[server]\nallowed_origins = []\n", &s).empty());
  EXPECT_TRUE(s.allowed_origins.empty());
  ASSERT_TRUE(
      toml_errors("[server]\nallowed_origins = [\n  \"https://a\",\n  \"*\",\n]\n", &s).empty());
  EXPECT_EQ(s.allowed_origins, (std::vector<std::string>{"https://a", "*"}));
}

struct LineCase {
  const char* name;
  const char* toml;
  int line;
  const char* key;
  const char* message_part;
};

class ConfigTomlError : public ::testing::TestWithParam<LineCase> {};

TEST_P(ConfigTomlError, ReportsKeyAndLine) {
  const LineCase& c = GetParam();
  Settings s;
  auto errors = toml_errors(c.toml, &s);
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].source, "herald.toml");
  EXPECT_EQ(errors[0].line, c.line) << format_errors(errors);
  EXPECT_EQ(errors[0].key, c.key);
  EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << errors[0].message;
  // All or nothing: nothing of a rejected document is applied.
  EXPECT_EQ(s.threads, 0);
  EXPECT_EQ(s.namespaces.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigTomlError,
    ::testing::Values(
        LineCase{"UnknownKey", "[server]\nthreads = 2\n\nlisten_addr = \"x\"\n", 4,
                 "server.listen_addr", "unknown key"},
        LineCase{"Typo", "[http]\nmax_bdy = 10\n", 2, "http.max_bdy", "did you mean max_body?"},
        LineCase{"UnknownSection", "[server]\nthreads = 1\n[htp]\nmax_body = 1\n", 3, "htp",
                 "unknown section (did you mean http?)"},
        LineCase{"KeyOutsideSection", "# top\nlisten = \"127.0.0.1:1\"\n", 2, "listen",
                 "did you mean server.listen?"},
        LineCase{"SectionNotTable", "\nhttp = 5\n", 2, "http", "expected a table"},
        LineCase{"StringForInteger", "[server]\nthreads = \"4\"\n", 2, "server.threads",
                 "expected integer, got string"},
        LineCase{"FloatForInteger", "[http]\n\nmax_body = 1.5\n", 3, "http.max_body",
                 "expected integer, got float"},
        LineCase{"IntegerForBool", "[server]\ndebug_echo = 1\n", 2, "server.debug_echo",
                 "expected boolean, got integer"},
        LineCase{"IntegerForString", "[server]\napi_key = 42\n", 2, "server.api_key",
                 "expected string, got integer"},
        LineCase{"StringForArray", "[server]\nallowed_origins = \"https://a\"\n", 2,
                 "server.allowed_origins", "expected array of strings, got string"},
        LineCase{"ArrayElementType", "[server]\nallowed_origins = [\n  \"https://a\",\n  7,\n]\n",
                 4, "server.allowed_origins", "element 2: expected string, got integer"},
        LineCase{"ArrayElementValue", "[server]\nallowed_origins = [\"https://a\", \"a b\"]\n", 2,
                 "server.allowed_origins", "element 2"},
        LineCase{"TooManyThreads", "[server]\nthreads = 65\n", 2, "server.threads",
                 "out of range: 65 is not in 0..64"},
        LineCase{"Negative", "[limits]\nmax_subscriptions = -1\n", 2, "limits.max_subscriptions",
                 "out of range"},
        LineCase{"ZeroBody", "[http]\nmax_body = 0\n", 2, "http.max_body", "out of range"},
        LineCase{"BadListen", "[server]\nlisten = \"127.0.0.1\"\n", 2, "server.listen",
                 "expected HOST:PORT"},
        LineCase{"ListenPortTooBig", "[server]\nlisten = \"127.0.0.1:70000\"\n", 2, "server.listen",
                 "expected HOST:PORT"},
        LineCase{"ListenHostName", "[server]\nlisten = \"example.com:80\"\n", 2, "server.listen",
                 "expected HOST:PORT"},
        LineCase{"BadTlsListen", "[tls]\nlisten = \"8443\"\n", 2, "tls.listen",
                 "expected HOST:PORT"},
        LineCase{"OldTlsVersion", "[tls]\nmin_version = \"1.1\"\n", 2, "tls.min_version",
                 "expected \"1.2\" or \"1.3\", got \"1.1\""},
        LineCase{"ZeroHandshakeTimeout", "[tls]\nhandshake_timeout_ms = 0\n", 2,
                 "tls.handshake_timeout_ms", "out of range"},
        LineCase{"BadLogLevel", "[server]\nlog_level = \"verbose\"\n", 2, "server.log_level",
                 "debug, info, warn, error, off"},
        LineCase{"BadNamespaceName", "[namespace.\"a:b\"]\nhistory_size = 1\n", 1, "namespace.a:b",
                 "invalid namespace name"},
        LineCase{"DottedNamespaceName", "[namespace.a.b]\nhistory_size = 1\n", 1, "namespace.a.b",
                 "must be quoted: [namespace.\"a.b\"]"},
        LineCase{"NamespaceKey", "[namespace.chat]\nhistory_sz = 1\n", 2,
                 "namespace.chat.history_sz", "did you mean history_size?"},
        LineCase{"ChannelKeyType", "[channel]\nanonymous = \"yes\"\n", 2, "channel.anonymous",
                 "expected boolean"},
        LineCase{"HistoryTooLarge", "[channel]\nhistory_size = 2_000_000\n", 2,
                 "channel.history_size", "out of range"},
        LineCase{"BadEngine", "[engine]\ntype = \"etcd\"\n", 2, "engine.type",
                 "expected memory or redis"},
        LineCase{"RedisAddressWithoutPort", "[redis]\naddresses = [\"127.0.0.1\"]\n", 2,
                 "redis.addresses", "element 1: expected HOST:PORT"},
        LineCase{"RedisPrefixWithBrace", "[redis]\nprefix = \"h{x}\"\n", 2, "redis.prefix",
                 "no braces"},
        LineCase{"RedisPoolTooLarge", "[redis]\npool_size = 65\n", 2, "redis.pool_size",
                 "out of range"},
        LineCase{"SyntaxError", "[server]\nthreads = 2\nlisten = \n", 3, "", "syntax error"},
        LineCase{"DuplicateKey", "[server]\nthreads = 2\nthreads = 3\n", 3, "", "syntax error"},
        LineCase{"UnterminatedString", "[server]\n\napi_key = \"abc\n", 3, "", "syntax error"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigToml, ReportsEveryErrorAtOnce) {
  const char* doc =
      "[server]\n"              // 1
      "threads = 100\n"         // 2 out of range
      "listen = \"nope\"\n"     // 3 bad address
      "[http]\n"                // 4
      "max_body = \"big\"\n"    // 5 wrong type
      "max_header_count = 5\n"  // 6 fine
      "colour = \"red\"\n"      // 7 unknown key
      "[websocket]\n"           // 8
      "max_message = 0\n";      // 9 out of range
  Settings s;
  auto errors = toml_errors(doc, &s);
  ASSERT_EQ(errors.size(), 5u) << format_errors(errors);
  std::vector<std::pair<int, std::string>> got;
  for (const auto& e : errors) got.emplace_back(e.line, e.key);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::pair<int, std::string>>{{2, "server.threads"},
                                                           {3, "server.listen"},
                                                           {5, "http.max_body"},
                                                           {7, "http.colour"},
                                                           {9, "websocket.max_message"}}));
  EXPECT_EQ(s.max_header_count, base::limits::kMaxHeaderCount) << "rejected file applied";
}

TEST(ConfigToml, FormatErrorsIsOneLinePerError) {
  auto errors = toml_errors("[server]\nthreads = 65\n[http]\nmax_body = 0\n");
  EXPECT_EQ(format_errors(errors),
            "herald.toml:2: server.threads: out of range: 65 is not in 0..64\n"
            "herald.toml:4: http.max_body: out of range: 0 is not in 1..1073741824\n");
  EXPECT_EQ(format_errors({{"env", 0, "HERALD_X", "bad"}, {"f.toml", 3, "", "syntax error"}}),
            "env: HERALD_X: bad\nf.toml:3: syntax error\n");
}

TEST(ConfigToml, Namespaces) {
  Settings s;
  auto errors = toml_errors(R"(
[channel]
history_size = 7

[namespace.chat]
history_size = 10
history_ttl = 3600
presence = false
publish = true

[namespace.public]
history_size = 5

[namespace."team.a"]
anonymous = true
)",
                            &s);
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  ASSERT_EQ(s.namespaces.size(), 3u);
  const auto& chat = s.namespace_for("chat:room");
  EXPECT_EQ(chat.name, "chat");
  EXPECT_EQ(chat.history_size, 10u);
  EXPECT_EQ(chat.history_ttl_sec, 3600u);
  EXPECT_FALSE(chat.presence);
  EXPECT_TRUE(chat.publish);
  EXPECT_FALSE(chat.anonymous);  // not set: [channel]'s
  // The built-in public namespace is changed in place, not replaced: it stays open.
  const auto& pub = s.namespace_for("public:x");
  EXPECT_EQ(pub.history_size, 5u);
  EXPECT_TRUE(pub.anonymous);
  EXPECT_TRUE(pub.publish);
  EXPECT_TRUE(s.namespace_for("team.a:x").anonymous);
  EXPECT_EQ(s.namespace_for("other").history_size, 7u);
}

TEST(ConfigToml, PublicNamespaceCanBeClosed) {
  Settings s;
  ASSERT_TRUE(toml_errors("[namespace.public]\nanonymous = false\npublish = false\n", &s).empty());
  EXPECT_FALSE(s.namespace_for("public:x").anonymous);
  EXPECT_FALSE(s.namespace_for("public:x").publish);
}

TEST(ConfigFile, MissingFileIsOneError) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  EXPECT_FALSE(apply_toml_file("/nonexistent/herald.toml", s, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "/nonexistent/herald.toml");
  EXPECT_NE(errors[0].message.find("No such file"), std::string::npos) << errors[0].message;
}

TEST(ConfigFile, ErrorsNameTheFile) {
  std::string path = ::testing::TempDir() + "herald_config_test.toml";
  std::ofstream(path) << "[server]\n\nthreads = -3\n";
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  EXPECT_FALSE(apply_toml_file(path, s, errors));
  EXPECT_EQ(format_errors(errors), path + ":3: server.threads: out of range: -3 is not in 0..64\n");
  std::remove(path.c_str());
}

TEST(ConfigFile, ExampleFileIsAccepted) {
  std::string path = source_root() + "/config/herald.example.toml";
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(apply_toml_file(path, s, errors)) << format_errors(errors);
  // The example sets a namespace of its own and keeps public: open.
  EXPECT_NE(find_ns(s, "chat"), nullptr);
  EXPECT_TRUE(s.namespace_for("public:x").anonymous);
}

TEST(ConfigFile, RelativeFilePathsAreRelativeToTheConfigFile) {
  char dir[] = "/tmp/herald-cfg-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/herald.toml";
  {
    std::ofstream f(path);
    f << "[auth]\nhmac_secret_file = \"keys/secret.txt\"\njwks_file = \"/etc/jwks.json\"\n";
  }
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(apply_toml_file(path, s, errors)) << format_errors(errors);
  EXPECT_EQ(s.auth_hmac_secret_file, std::string(dir) + "/keys/secret.txt");
  EXPECT_EQ(s.auth_jwks_file, "/etc/jwks.json");  // absolute: as written
  // From text without a file (and from env or flags) a path stays as given.
  Settings t = default_settings();
  ASSERT_TRUE(apply_toml("[auth]\nhmac_secret_file = \"s.txt\"\n", "<text>", t, errors));
  EXPECT_EQ(t.auth_hmac_secret_file, "s.txt");
  std::remove(path.c_str());
  rmdir(dir);
}

TEST(ConfigEnv, SetsKeysByVariableName) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  Env env{"PATH=/usr/bin",
          "HERALD_LISTEN=0.0.0.0:9999",
          "HERALD_THREADS=2",
          "HERALD_SERVER_DRAIN_MS=10",
          "HERALD_HTTP_MAX_BODY=4096",
          "HERALD_CHANNEL_HISTORY_SIZE=0",
          "HERALD_DEBUG_ECHO=yes",
          "HERALD_ALLOWED_ORIGINS=https://a, https://b",
          "HERALD_NAMESPACE_PUBLIC_PUBLISH=false",
          "HERALD_NAMESPACE_CHAT_HISTORY_TTL=5",
          "HERALD_SOURCE=/work/main",  // not config: ignored
          "HERALD_BIN=/x/herald"};
  ASSERT_TRUE(apply_env(env.envp(), s, errors)) << format_errors(errors);
  EXPECT_EQ(s.listen, "0.0.0.0:9999");
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(s.drain_ms, 10u);
  EXPECT_EQ(s.max_body, 4096u);
  EXPECT_EQ(s.channel_defaults.history_size, 0u);
  EXPECT_TRUE(s.debug_echo);
  EXPECT_EQ(s.allowed_origins, (std::vector<std::string>{"https://a", "https://b"}));
  EXPECT_FALSE(s.namespace_for("public:x").publish);
  EXPECT_TRUE(s.namespace_for("public:x").anonymous);
  EXPECT_EQ(s.namespace_for("chat:x").history_ttl_sec, 5u);
  EXPECT_EQ(s.namespace_for("chat:x").name, "chat");
}

TEST(ConfigEnv, SetsTheRedisEngine) {
  Settings s = default_settings();
  EXPECT_EQ(s.engine_type, "memory");
  std::vector<ConfigError> errors;
  Env env{"HERALD_ENGINE_TYPE=redis", "HERALD_REDIS_ADDRESSES=127.0.0.1:7001, 127.0.0.1:7002",
          "HERALD_REDIS_CLUSTER=true", "HERALD_REDIS_TIMEOUT_MS=250", "HERALD_REDIS_PREFIX=app1"};
  ASSERT_TRUE(apply_env(env.envp(), s, errors)) << format_errors(errors);
  EXPECT_EQ(s.engine_type, "redis");
  EXPECT_EQ(s.redis_addresses, (std::vector<std::string>{"127.0.0.1:7001", "127.0.0.1:7002"}));
  EXPECT_TRUE(s.redis_cluster);
  EXPECT_EQ(s.redis_timeout_ms, 250u);
  EXPECT_EQ(s.redis_prefix, "app1");
  Env bad{"HERALD_REDIS_TIMEOUT=5"};
  EXPECT_FALSE(apply_env(bad.envp(), s, errors));  // a typo under a section prefix is an error
}

TEST(ConfigEnv, NamespaceMatchesExistingNameWhateverItsCase) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(apply_toml("[namespace.Team_A]\nhistory_size = 1\n", "f", s, errors));
  Env env{"HERALD_NAMESPACE_TEAM_A_HISTORY_SIZE=9"};
  ASSERT_TRUE(apply_env(env.envp(), s, errors)) << format_errors(errors);
  EXPECT_EQ(s.namespaces.size(), 2u);
  EXPECT_EQ(s.namespace_for("Team_A:x").history_size, 9u);
}

TEST(ConfigEnv, ReportsEveryBadVariable) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  Env env{"HERALD_THREADS=many",
          "HERALD_HTTP_MAX_BOD=1",
          "HERALD_LISTEN=localhost",
          "HERALD_HTTP_MAX_HEADER_COUNT=7",
          "HERALD_NAMESPACE_CHAT_COLOUR=red",
          "HERALD_DEBUG_ECHO=maybe"};
  EXPECT_FALSE(apply_env(env.envp(), s, errors));
  EXPECT_EQ(format_errors(errors),
            "env: HERALD_THREADS: server.threads: expected an integer, got \"many\"\n"
            "env: HERALD_HTTP_MAX_BOD: unknown configuration variable\n"
            "env: HERALD_LISTEN: server.listen: expected HOST:PORT with a numeric IPv4 address, "
            "[IPv6] or localhost (e.g. 127.0.0.1:8080, [::1]:8080, :8080), got \"localhost\"\n"
            "env: HERALD_NAMESPACE_CHAT_COLOUR: unknown configuration variable\n"
            "env: HERALD_DEBUG_ECHO: server.debug_echo: expected a boolean (true/false, 1/0, "
            "yes/no, on/off), got \"maybe\"\n");
  EXPECT_EQ(s.max_header_count, base::limits::kMaxHeaderCount) << "rejected env applied";
}

TEST(ConfigOverride, DottedKeysAndServerShorthand) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  EXPECT_TRUE(apply_override("channel.history_size", "0", "--history-size", s, errors));
  EXPECT_TRUE(apply_override("channel.history_ttl", "10", "--history-ttl", s, errors));
  EXPECT_TRUE(apply_override("listen", "[::1]:1", "--listen", s, errors));
  EXPECT_TRUE(apply_override("server.debug_echo", "true", "--debug-echo", s, errors));
  EXPECT_TRUE(apply_override("namespace.a.b.history_size", "3", "--set", s, errors));
  EXPECT_TRUE(apply_override("server.allowed_origins", "", "--set", s, errors));
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(s.channel_defaults.history_size, 0u);
  EXPECT_EQ(s.channel_defaults.history_ttl_sec, 10u);
  EXPECT_EQ(s.listen, "[::1]:1");
  EXPECT_TRUE(s.debug_echo);
  EXPECT_EQ(s.namespace_for("a.b:c").history_size, 3u);
  EXPECT_TRUE(s.allowed_origins.empty());
}

TEST(ConfigOverride, ErrorsNameTheFlag) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  EXPECT_FALSE(apply_override("server.threads", "65", "--threads", s, errors));
  EXPECT_FALSE(apply_override("http.max_bdy", "1", "--set", s, errors));
  EXPECT_FALSE(apply_override("namespace.x:y.presence", "true", "--set", s, errors));
  EXPECT_FALSE(apply_override("threads", "", "--threads", s, errors));
  EXPECT_EQ(format_errors(errors),
            "--threads: server.threads: out of range: 65 is not in 0..64\n"
            "--set: http.max_bdy: unknown key (did you mean http.max_body?)\n"
            "--set: namespace.x:y.presence: invalid namespace name \"x:y\": 1-255 characters of "
            "[A-Za-z0-9_.@#=-] (no ':')\n"
            "--threads: threads: expected an integer, got \"\"\n");
  EXPECT_EQ(s.threads, 0);
  EXPECT_EQ(s.namespaces.size(), 1u) << "a rejected override created a namespace";
}

TEST(ConfigPrecedence, FileThenEnvThenFlags) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(
      apply_toml("[server]\nthreads = 2\nlisten = \"127.0.0.1:1000\"\n"
                 "log_level = \"debug\"\n[channel]\nhistory_size = 11\n",
                 "file.toml", s, errors));
  Env env{"HERALD_THREADS=3", "HERALD_LISTEN=127.0.0.1:2000"};
  ASSERT_TRUE(apply_env(env.envp(), s, errors));
  ASSERT_TRUE(apply_override("server.threads", "4", "--threads", s, errors));
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(s.threads, 4);                          // flag beats env and file
  EXPECT_EQ(s.listen, "127.0.0.1:2000");            // env beats file
  EXPECT_EQ(s.log_level, "debug");                  // file beats defaults
  EXPECT_EQ(s.channel_defaults.history_size, 11u);  // file beats defaults
  EXPECT_EQ(s.max_body, base::limits::kMaxBodyBytes);
}

// Namespaces inherit [channel] (docs/protocol.md): what main.cpp does for `herald serve
// --history-size 20000`, through the free functions and through SettingsBuilder.
TEST(ConfigInherit, HistoryFlagReachesBuiltInPublicNamespace) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(apply_override("channel.history_size", "20000", "--history-size", s, errors));
  ASSERT_TRUE(apply_override("channel.history_ttl", "60", "--history-ttl", s, errors));
  EXPECT_EQ(s.namespace_for("public:lobby").history_size, 20000u);
  EXPECT_EQ(s.namespace_for("public:lobby").history_ttl_sec, 60u);
  EXPECT_EQ(s.namespace_for("lobby").history_size, 20000u);
  // public's own keys are untouched.
  EXPECT_TRUE(s.namespace_for("public:lobby").anonymous);
  EXPECT_TRUE(s.namespace_for("public:lobby").publish);

  SettingsBuilder b;
  ASSERT_TRUE(b.apply_override("channel.history_size", "20000", "--history-size", errors));
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(b.settings().namespace_for("public:lobby").history_size, 20000u);
  EXPECT_TRUE(b.settings().namespace_for("public:lobby").anonymous);
}

TEST(ConfigInherit, DefaultsAreAlreadyResolved) {
  Settings s = default_settings();
  const auto* pub = find_ns(s, "public");
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(pub->history_size, s.channel_defaults.history_size);
  EXPECT_EQ(pub->history_ttl_sec, s.channel_defaults.history_ttl_sec);
  EXPECT_EQ(pub->presence, s.channel_defaults.presence);
  EXPECT_EQ(SettingsBuilder().settings().namespaces.size(), 1u);
}

TEST(ConfigInherit, NamespaceThatSetsItsHistoryKeepsIt) {
  SettingsBuilder b;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(
      b.apply_toml("[namespace.chat]\nhistory_size = 500\npresence = false\n", "f.toml", errors));
  ASSERT_TRUE(b.apply_override("channel.history_size", "20000", "--history-size", errors));
  ASSERT_TRUE(b.apply_override("channel.history_ttl", "60", "--history-ttl", errors));
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  const Settings& s = b.settings();
  EXPECT_EQ(s.namespace_for("chat:x").history_size, 500u);      // its own
  EXPECT_EQ(s.namespace_for("chat:x").history_ttl_sec, 60u);    // follows the flag
  EXPECT_FALSE(s.namespace_for("chat:x").presence);             // its own
  EXPECT_EQ(s.namespace_for("public:x").history_size, 20000u);  // follows the flag
}

// Whatever layer sets [channel] and whatever layer names the namespace, in either order.
TEST(ConfigInherit, FileEnvAndFlagCombinations) {
  std::vector<ConfigError> errors;
  {  // [channel] in the file, the namespace created by env
    SettingsBuilder b;
    Env env{"HERALD_NAMESPACE_CHAT_PUBLISH=true"};
    ASSERT_TRUE(b.apply_toml("[channel]\nhistory_size = 7\npresence = false\n", "f", errors));
    ASSERT_TRUE(b.apply_env(env.envp(), errors));
    EXPECT_EQ(b.settings().namespace_for("chat:x").history_size, 7u);
    EXPECT_FALSE(b.settings().namespace_for("chat:x").presence);
    EXPECT_TRUE(b.settings().namespace_for("chat:x").publish);
  }
  {  // the namespace in the file, [channel] by env, then by a flag
    SettingsBuilder b;
    Env env{"HERALD_CHANNEL_HISTORY_TTL=9", "HERALD_CHANNEL_ANONYMOUS=true"};
    ASSERT_TRUE(b.apply_toml("[namespace.chat]\nhistory_ttl = 3600\n", "f", errors));
    ASSERT_TRUE(b.apply_env(env.envp(), errors));
    ASSERT_TRUE(b.apply_override("channel.history_size", "3", "--set", errors));
    const auto& chat = b.settings().namespace_for("chat:x");
    EXPECT_EQ(chat.history_ttl_sec, 3600u);
    EXPECT_EQ(chat.history_size, 3u);
    EXPECT_TRUE(chat.anonymous);
  }
  {  // a namespace key set by a flag before [channel] is set by a later flag
    SettingsBuilder b;
    ASSERT_TRUE(b.apply_override("namespace.chat.presence", "false", "--set", errors));
    ASSERT_TRUE(b.apply_override("channel.presence", "true", "--set", errors));
    ASSERT_TRUE(b.apply_override("channel.history_size", "11", "--set", errors));
    EXPECT_FALSE(b.settings().namespace_for("chat:x").presence);
    EXPECT_EQ(b.settings().namespace_for("chat:x").history_size, 11u);
  }
  {  // one file: [namespace.*] follows the [channel] of the same file
    Settings s = default_settings();
    ASSERT_TRUE(apply_toml("[namespace.chat]\npublish = true\n[channel]\nhistory_size = 42\n", "f",
                           s, errors));
    EXPECT_EQ(s.namespace_for("chat:x").history_size, 42u);
    EXPECT_EQ(s.namespace_for("public:x").history_size, 42u);
  }
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
}

// The built-in public namespace sets anonymous and publish itself: opening or closing every
// channel through [channel] does not change public:*.
TEST(ConfigInherit, PublicKeepsItsOwnKeysWhateverChannelSays) {
  std::vector<ConfigError> errors;
  SettingsBuilder b;
  ASSERT_TRUE(b.apply_override("channel.anonymous", "true", "--set", errors));
  ASSERT_TRUE(b.apply_override("channel.anonymous", "false", "--set", errors));
  EXPECT_TRUE(b.settings().namespace_for("public:x").anonymous);
  // Through the free functions too (each infers what a namespace sets itself).
  Settings s = default_settings();
  ASSERT_TRUE(apply_override("channel.anonymous", "true", "--set", s, errors));
  ASSERT_TRUE(apply_override("channel.anonymous", "false", "--set", s, errors));
  EXPECT_TRUE(s.namespace_for("public:x").anonymous);
  EXPECT_FALSE(s.namespace_for("lobby").anonymous);
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
}

// A namespace that sets a key to [channel]'s current value keeps it when [channel] changes in a
// later layer: SettingsBuilder remembers; the free functions cannot tell it from inherited.
TEST(ConfigInherit, BuilderRemembersValuesEqualToChannel) {
  const char* file = "[channel]\nhistory_size = 50\n[namespace.chat]\nhistory_size = 50\n";
  std::vector<ConfigError> errors;
  SettingsBuilder b;
  ASSERT_TRUE(b.apply_toml(file, "f", errors));
  ASSERT_TRUE(b.apply_override("channel.history_size", "20000", "--history-size", errors));
  EXPECT_EQ(b.settings().namespace_for("chat:x").history_size, 50u);

  Settings s = default_settings();
  ASSERT_TRUE(apply_toml(file, "f", s, errors));
  ASSERT_TRUE(apply_override("channel.history_size", "20000", "--history-size", s, errors));
  EXPECT_EQ(s.namespace_for("chat:x").history_size, 20000u);  // documented limit
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
}

TEST(ConfigInherit, RejectedLayerChangesNothing) {
  std::vector<ConfigError> errors;
  SettingsBuilder b;
  EXPECT_FALSE(
      b.apply_toml("[channel]\nhistory_size = 5\n[namespace.chat]\nbogus = 1\n", "f", errors));
  EXPECT_FALSE(b.apply_override("namespace.x:y.history_size", "1", "--set", errors));
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(b.settings().namespace_for("public:x").history_size, 100u);
  EXPECT_EQ(b.settings().namespaces.size(), 1u);
  // The next layer still sees chat as never configured.
  errors.clear();
  ASSERT_TRUE(b.apply_override("channel.history_size", "8", "--set", errors));
  EXPECT_EQ(b.settings().namespace_for("public:x").history_size, 8u);
}

// check-config reads the file over the defaults: same result as before inheritance for a
// file, plus the public namespace following the file's [channel].
TEST(ConfigInherit, CheckConfigPathUnaffected) {
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  ASSERT_TRUE(apply_toml_file(source_root() + "/config/herald.example.toml", s, errors))
      << format_errors(errors);
  EXPECT_EQ(s.namespace_for("chat:x").history_size, 500u);
  EXPECT_EQ(s.namespace_for("chat:x").anonymous, s.channel_defaults.anonymous);
  EXPECT_EQ(s.namespace_for("public:x").history_size, s.channel_defaults.history_size);
  EXPECT_TRUE(s.namespace_for("public:x").anonymous);
}

TEST(ConfigKeys, TableListsEveryKeyWithItsDefault) {
  const auto& keys = config_keys();
  auto find = [&](std::string_view name) -> const KeyInfo* {
    for (const auto& k : keys)
      if (k.key == name) return &k;
    return nullptr;
  };
  for (const char* name : {"server.listen",
                           "server.threads",
                           "server.web_root",
                           "server.debug_echo",
                           "server.log_level",
                           "server.api_key",
                           "server.allowed_origins",
                           "server.drain_ms",
                           "http.max_request_line",
                           "http.max_header_bytes",
                           "http.max_header_count",
                           "http.max_body",
                           "http.header_timeout_ms",
                           "http.keepalive_timeout_ms",
                           "tls.listen",
                           "tls.cert_file",
                           "tls.key_file",
                           "tls.min_version",
                           "tls.ciphers",
                           "tls.handshake_timeout_ms",
                           "limits.max_connections",
                           "limits.max_connections_per_ip",
                           "limits.max_output_bytes",
                           "limits.max_subscriptions",
                           "limits.publish_rate",
                           "websocket.max_message",
                           "websocket.ping_interval_ms",
                           "websocket.pong_timeout_ms",
                           "sse.heartbeat_ms",
                           "sse.retry_ms",
                           "poll.max_wait_sec",
                           "poll.max_channels",
                           "engine.type",
                           "redis.addresses",
                           "redis.cluster",
                           "redis.prefix",
                           "redis.password",
                           "redis.db",
                           "redis.timeout_ms",
                           "redis.pool_size",
                           "channel.history_size",
                           "channel.history_ttl",
                           "channel.anonymous",
                           "channel.publish",
                           "channel.presence",
                           "namespace.NAME.history_size",
                           "namespace.NAME.history_ttl",
                           "namespace.NAME.anonymous",
                           "namespace.NAME.publish",
                           "namespace.NAME.presence"}) {
    const KeyInfo* k = find(name);
    ASSERT_NE(k, nullptr) << name;
    EXPECT_FALSE(k->type.empty()) << name;
    EXPECT_FALSE(k->description.empty()) << name;
  }
  // Every key of the table once, and each namespace key twice (channel.* and namespace.NAME.*).
  EXPECT_EQ(keys.size(),
            config_detail::settings_keys().size() + 2 * config_detail::namespace_keys().size());
  EXPECT_EQ(find("server.listen")->default_value, "\"127.0.0.1:8080\"");
  EXPECT_EQ(find("server.threads")->type, "integer 0..64");
  EXPECT_EQ(find("server.allowed_origins")->default_value, "[]");
  EXPECT_EQ(find("channel.history_size")->default_value, "100");
  EXPECT_EQ(find("channel.anonymous")->default_value, "false");
  EXPECT_EQ(find("namespace.NAME.history_size")->default_value, "channel.history_size");
}

// The defaults config_keys() prints, written back as TOML, are accepted and change nothing:
// every default is inside its key's range and every printed type is what the parser wants.
TEST(ConfigKeys, DefaultsReadBackAsToml) {
  std::string doc;
  for (const auto& k : config_keys()) {
    if (k.key.rfind("namespace.", 0) == 0) continue;
    size_t dot = k.key.find('.');
    doc +=
        "[" + k.key.substr(0, dot) + "]\n" + k.key.substr(dot + 1) + " = " + k.default_value + "\n";
  }
  // A namespace key's default names the [channel] key it follows; write that key's default.
  for (const auto& k : config_keys()) {
    if (k.key.rfind("namespace.NAME.", 0) != 0) continue;
    std::string channel_key = "channel." + k.key.substr(15);
    ASSERT_EQ(k.default_value, channel_key);
    for (const auto& c : config_keys())
      if (c.key == channel_key)
        doc += "[namespace.x]\n" + k.key.substr(15) + " = " + c.default_value + "\n";
  }
  // A table may be opened once in TOML: merge the repeated headers by key order instead.
  Settings s = default_settings();
  std::vector<ConfigError> errors;
  std::string merged, current;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.front() == '[') {
      if (line != current) merged += line + "\n";
      current = line;
    } else {
      merged += line + "\n";
    }
  }
  ASSERT_TRUE(apply_toml(merged, "defaults.toml", s, errors)) << format_errors(errors) << merged;
  Settings d = default_settings();
  EXPECT_EQ(s.listen, d.listen);
  EXPECT_EQ(s.max_body, d.max_body);
  EXPECT_EQ(s.channel_defaults.history_size, d.channel_defaults.history_size);
  const auto* x = find_ns(s, "x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->presence, d.channel_defaults.presence);
  EXPECT_EQ(x->history_size, d.channel_defaults.history_size);
}

TEST(ConfigDocs, TheKeyTableIsTheGeneratedOne) {
  std::string doc = read_file(source_root() + "/docs/configuration.md");
  ASSERT_FALSE(doc.empty()) << "cannot read docs/configuration.md under " << source_root();
  // The whole table, as `herald check-config --keys` prints it: regenerate the doc's table with
  // that command when a key changes.
  EXPECT_NE(doc.find(config_keys_markdown()), std::string::npos)
      << "docs/configuration.md's key table differs from `herald check-config --keys`";
  for (const auto& k : config_keys()) {
    EXPECT_NE(doc.find("| `" + k.key + "` |"), std::string::npos)
        << "docs/configuration.md has no table row for " << k.key;
  }
}

}  // namespace
}  // namespace herald::server
