// herald: one binary, several commands (SPEC §3): serve, check-config, pub, sub, bench.
// Only this file includes CLI11 (a heavy header): the commands' options are plain structs
// owned by their modules.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "base/log.h"
#include "server/config.h"
#include "server/server.h"

extern char** environ;

namespace {

constexpr const char* kVersion = "0.1.0";

struct ServeFlags {
  std::string config;
  std::string listen;
  int threads = -1;
  bool debug_echo = false;
  long history_size = -1;
  long history_ttl = -1;
  std::string log_level;
  std::string api_key;
  std::vector<std::string> sets;  // --set key=value
};

// Builds the settings from the four layers: defaults < file < env < flags.
bool build_settings(const ServeFlags& f, herald::base::Settings& s, std::string& errors) {
  using namespace herald::server;
  std::vector<ConfigError> errs;
  s = default_settings();
  if (!f.config.empty()) apply_toml_file(f.config, s, errs);
  apply_env(environ, s, errs);
  auto flag = [&](const char* key, const std::string& value, const char* name) {
    apply_override(key, value, name, s, errs);
  };
  if (!f.listen.empty()) flag("server.listen", f.listen, "--listen");
  if (f.threads >= 0) flag("server.threads", std::to_string(f.threads), "--threads");
  if (f.debug_echo) flag("server.debug_echo", "true", "--debug-echo");
  if (f.history_size >= 0)
    flag("channel.history_size", std::to_string(f.history_size), "--history-size");
  if (f.history_ttl >= 0)
    flag("channel.history_ttl", std::to_string(f.history_ttl), "--history-ttl");
  if (!f.log_level.empty()) flag("server.log_level", f.log_level, "--log-level");
  if (!f.api_key.empty()) flag("server.api_key", f.api_key, "--api-key");
  for (const auto& kv : f.sets) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      errs.push_back({"--set", 0, kv, "expected KEY=VALUE"});
      continue;
    }
    apply_override(kv.substr(0, eq), kv.substr(eq + 1), "--set", s, errs);
  }
  errors = format_errors(errs);
  return errs.empty();
}

int serve(const ServeFlags& f) {
  herald::server::ServeOptions opts;
  std::string errors;
  if (!build_settings(f, opts.settings, errors)) {
    std::fprintf(stderr, "herald: configuration errors:\n%s", errors.c_str());
    return 2;
  }
  herald::base::LogLevel lvl;
  if (herald::base::parse_log_level(opts.settings.log_level.c_str(), &lvl))
    herald::base::set_log_level(lvl);
  opts.version = kVersion;
  opts.reload = [f](herald::base::Settings& s, std::string& errs) {
    return build_settings(f, s, errs);
  };
  herald::server::Server server(std::move(opts));
  return server.run();
}

int check_config(const std::string& path) {
  herald::base::Settings s = herald::server::default_settings();
  std::vector<herald::server::ConfigError> errs;
  if (!herald::server::apply_toml_file(path, s, errs)) {
    std::fputs(herald::server::format_errors(errs).c_str(), stderr);
    std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), errs.size(),
                 errs.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: ok\n", path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"herald: a real-time messaging server and latency lab"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version,-V", std::string("herald ") + kVersion);

  ServeFlags serve_flags;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the server");
  serve_cmd->add_option("--config,-c", serve_flags.config, "TOML config file");
  serve_cmd->add_option("--listen,-l", serve_flags.listen, "HOST:PORT (default 127.0.0.1:8080)");
  serve_cmd->add_option("--threads,-t", serve_flags.threads, "Event loops (default: cores)");
  serve_cmd->add_flag("--debug-echo", serve_flags.debug_echo, "Expose GET /ws/echo");
  serve_cmd->add_option("--history-size", serve_flags.history_size,
                        "channel.history_size (0 disables)");
  serve_cmd->add_option("--history-ttl", serve_flags.history_ttl,
                        "channel.history_ttl in seconds (0 disables)");
  serve_cmd->add_option("--log-level", serve_flags.log_level, "debug|info|warn|error|off");
  serve_cmd->add_option("--api-key", serve_flags.api_key, "Require this bearer key on /api/*");
  serve_cmd->add_option("--set", serve_flags.sets, "Any config key: --set http.max_body=65536");

  std::string check_path;
  CLI::App* check_cmd = app.add_subcommand("check-config", "Validate a config file");
  check_cmd->add_option("file", check_path, "TOML config file")->required();

  CLI11_PARSE(app, argc, argv);

  if (*check_cmd) return check_config(check_path);
  if (*serve_cmd) return serve(serve_flags);
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
