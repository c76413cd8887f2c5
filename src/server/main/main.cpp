// herald: one binary, several commands (docs/protocol.md): serve, check-config, pub, sub, token,
// bench. Only this file includes CLI11 (a heavy header): the commands' options are plain structs
// owned by their modules.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "access/tokens.h"
#include "base/log.h"
#include "server/config.h"
#include "server/server.h"
#include "server/tls_setup.h"
#include "tools/bench/advise.h"
#include "tools/bench/bench.h"
#include "tools/cli/pub.h"
#include "tools/cli/sub.h"
#include "tools/cli/token.h"

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
  bool check = false;             // --check: validate and exit
};

// Builds the settings from the four layers: defaults < file < env < flags.
bool build_settings(const ServeFlags& f, herald::base::Settings& s, std::string& errors) {
  using namespace herald::server;
  std::vector<ConfigError> errs;
  // The builder remembers which namespace keys a layer set, so that the rest follow [channel]
  // whatever layer sets it (docs/protocol.md: --history-size reaches every namespace without its
  // own).
  SettingsBuilder b;
  if (!f.config.empty()) b.apply_toml_file(f.config, errs);
  b.apply_env(environ, errs);
  auto flag = [&](const char* key, const std::string& value, const char* name) {
    b.apply_override(key, value, name, errs);
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
    b.apply_override(kv.substr(0, eq), kv.substr(eq + 1), "--set", errs);
  }
  s = b.settings();
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
  if (herald::base::parse_log_level(opts.settings.log_level.c_str(), &lvl)) {
    // --check always says what is wrong, whatever the log level.
    if (f.check && lvl > herald::base::LogLevel::error) lvl = herald::base::LogLevel::error;
    herald::base::set_log_level(lvl);
  }
  if (herald::base::LogFormat fmt;
      herald::base::parse_log_format(opts.settings.log_format.c_str(), &fmt))
    herald::base::set_log_format(fmt);
  opts.version = kVersion;
  opts.reload = [f](herald::base::Settings& s, std::string& errs) {
    return build_settings(f, s, errs);
  };
  herald::server::Server server(std::move(opts));
  return f.check ? server.check() : server.run();
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
  // The keys [auth] names must load as the server would load them.
  std::string key_error;
  if (!herald::access::load_keys(s, &key_error).ok()) {
    std::fprintf(stderr, "%s: [auth]: %s\n%s: 1 error\n", path.c_str(), key_error.c_str(),
                 path.c_str());
    return 1;
  }
  // With TLS on, the certificate and key must load and belong together, as `herald serve`
  // will require.
  std::string why;
  if (s.listen.empty() && s.tls_listen.empty())
    why = "server.listen and tls.listen are both empty: nothing to listen on";
  if (!why.empty() || !herald::server::load_tls(s, why).ok()) {
    std::fprintf(stderr, "%s: %s\n%s: 1 error\n", path.c_str(), why.c_str(), path.c_str());
    return 1;
  }
  std::printf("%s: ok\n", path.c_str());
  return 0;
}

// A preset sets the workload; flags given explicitly override it.
int run_bench_command(const CLI::App& cmd, herald::bench::BenchOptions opts,
                      const std::string& transports) {
  if (!opts.preset.empty()) {
    herald::bench::BenchOptions p;
    if (!herald::bench::apply_preset(opts.preset, p)) {
      std::fprintf(stderr, "herald bench: unknown preset %s\n", opts.preset.c_str());
      return 2;
    }
    if (cmd.count("--subscribers") == 0) opts.subscribers = p.subscribers;
    if (cmd.count("--channels") == 0) opts.channels = p.channels;
    if (cmd.count("--publishers") == 0) opts.publishers = p.publishers;
    if (cmd.count("--rate") == 0) opts.rate = p.rate;
    if (cmd.count("--payload") == 0) opts.payload = p.payload;
  }
  if (!opts.netem.empty() && cmd.count("--url") > 0) {
    std::fprintf(stderr,
                 "herald bench: --netem starts its own server inside the lab: leave out --url\n");
    return 2;
  }
  opts.transports.clear();
  for (size_t at = 0; at <= transports.size();) {
    size_t comma = transports.find(',', at);
    if (comma == std::string::npos) comma = transports.size();
    if (comma > at) opts.transports.push_back(transports.substr(at, comma - at));
    at = comma + 1;
  }
  return herald::bench::run_bench(opts);
}

// Shows each option's default in --help ("--rate FLOAT [1000]"). Flags are left out (CLI11
// would print "--no-pin{false}"), and so is an option whose description already says what its
// default means ("default: cores" reads better than "[0]").
void show_defaults(CLI::App* cmd) {
  for (CLI::Option* opt : cmd->get_options()) {
    if (opt->get_type_size() == 0) continue;  // a flag
    if (opt->get_description().find("default") != std::string::npos) continue;
    opt->capture_default_str();
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Every command writes to sockets with writev, which raises SIGPIPE when the peer is gone:
  // the write's EPIPE is handled where it happens instead.
  std::signal(SIGPIPE, SIG_IGN);
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
  serve_cmd->add_flag("--check", serve_flags.check,
                      "Validate the configuration, TLS certificate and key, and that the ports "
                      "can be bound, then exit (0: ok) without serving");
  serve_cmd->footer(
      "Every key of docs/configuration.md can be set with --set KEY=VALUE (repeat it); "
      "`herald check-config --keys` prints them all with their defaults and environment "
      "variables.\n"
      "Example:\n"
      "  herald serve --listen 127.0.0.1:8080 --set channel.history_size=1000 "
      "--set http.max_body=65536");

  std::string check_path;
  bool check_keys = false;
  CLI::App* check_cmd = app.add_subcommand("check-config", "Validate a config file");
  check_cmd->add_option("file", check_path, "TOML config file");
  check_cmd->add_flag("--keys", check_keys,
                      "print every config key (type, default, environment variable) as the "
                      "Markdown table of docs/configuration.md");

  herald::cli::PubOptions pub_opts;
  CLI::App* pub_cmd = app.add_subcommand("pub", "Publish DATA to CHANNEL (POST /api/publish)");
  pub_cmd->add_option("channel", pub_opts.channel, "Channel name")->required();
  pub_cmd
      ->add_option("data", pub_opts.data,
                   "JSON value; anything that is not valid JSON is sent as a JSON string")
      ->required();
  pub_cmd->add_option("--url,-u", pub_opts.url,
                      "Server URL (default http://127.0.0.1:8080; https:// for TLS)");
  pub_cmd->add_option("--cacert", pub_opts.cacert,
                      "PEM file of the CA that signed the server's certificate (https)");
  pub_cmd->add_option("--api-key", pub_opts.api_key, "Bearer key (default: $HERALD_API_KEY)");
  pub_cmd->add_option("--count,-n", pub_opts.count, "Publish it N times")
      ->check(CLI::PositiveNumber);
  pub_cmd->add_flag("--binary", pub_opts.binary,
                    "DATA is a file (- for stdin) whose bytes are published as they are");

  herald::cli::SubOptions sub_opts;
  CLI::App* sub_cmd = app.add_subcommand("sub", "Subscribe and print one JSON object per line");
  sub_cmd->add_option("channels", sub_opts.channels, "Channel names")->required();
  sub_cmd->add_option("--url,-u", sub_opts.url,
                      "Server URL (default http://127.0.0.1:8080; https:// or wss:// for TLS)");
  sub_cmd->add_option("--cacert", sub_opts.cacert,
                      "PEM file of the CA that signed the server's certificate (https, wss)");
  sub_cmd->add_option("--transport,-t", sub_opts.transport, "ws | sse | longpoll | poll | udp")
      ->check(CLI::IsMember({"ws", "sse", "longpoll", "poll", "udp"}));
  sub_cmd->add_option("--since", sub_opts.since, "Resume after this cursor");
  sub_cmd->add_option("--token", sub_opts.token,
                      "JWT to connect with, on every transport (default: $HERALD_TOKEN; "
                      "mint one with `herald token`)");
  sub_cmd->add_option("--count,-n", sub_opts.count, "Exit after N messages (0: never)")
      ->check(CLI::NonNegativeNumber);
  sub_cmd->add_option("--timeout", sub_opts.timeout_sec, "Exit after SEC seconds (0: never)")
      ->check(CLI::NonNegativeNumber);
  sub_cmd->add_option("--interval-ms", sub_opts.poll_interval_ms, "poll: ms between requests")
      ->check(CLI::PositiveNumber);
  sub_cmd->add_option("--wait", sub_opts.wait_sec, "longpoll: seconds the server holds a poll")
      ->check(CLI::PositiveNumber);

  herald::cli::TokenOptions token_opts;
  CLI::App* token_cmd =
      app.add_subcommand("token", "Mint a signed JWT for a user (or check one with --verify)");
  token_cmd->add_option("--sub", token_opts.sub, "User id (\"sub\"); '' for a token without user");
  token_cmd->add_option("--channels", token_opts.channels, "Subscribe grants: chat:lobby,news:*")
      ->delimiter(',');
  token_cmd->add_option("--publish", token_opts.publish, "Publish grants: chat:*")->delimiter(',');
  token_cmd->add_option("--info", token_opts.info, "Presence info, a JSON object");
  token_cmd->add_option("--ttl", token_opts.ttl, "Lifetime: 30s, 15m, 1h (default), 7d; 0: none");
  token_cmd->add_option("--aud", token_opts.aud, "Audience (repeat for several)");
  token_cmd->add_option("--iss", token_opts.iss, "Issuer");
  token_cmd->add_option("--kid", token_opts.kid, "Key id for the header (JWKS key selection)");
  token_cmd->add_option("--alg", token_opts.alg,
                        "HS256|HS384|HS512 (secret), RS256|RS384|RS512 (RSA), ES256|ES384 (EC); "
                        "default HS256, or from the key type");
  token_cmd->add_option("--secret-file", token_opts.secret_file,
                        "HMAC secret file (trailing newline ignored)");
  token_cmd->add_option("--key-file", token_opts.key_file,
                        "PEM key: private to sign, public with --verify");
  token_cmd->add_option("--jwks-file", token_opts.jwks_file, "JWK Set to verify with (--verify)");
  token_cmd->add_option("--verify", token_opts.verify,
                        "Check TOKEN ('-': stdin) as the server would: prints its claims as "
                        "JSON, or 'refused: REASON' and exit 1");
  token_cmd->add_option("--leeway", token_opts.leeway, "--verify: seconds of clock skew allowed");
  token_cmd->footer(
      "Examples:\n"
      "  openssl rand -hex 32 > secret.txt\n"
      "  herald token --sub alice --channels 'chat:*,news' --publish chat:lobby \\\n"
      "      --info '{\"name\":\"Alice\"}' --ttl 1h --secret-file secret.txt\n"
      "  herald token --sub bob --key-file ec-private.pem --aud herald --kid k1   (ES256)\n"
      "  herald token --verify \"$TOKEN\" --secret-file secret.txt --aud herald\n"
      "Exit status: 0 ok, 1 token refused (--verify), 2 bad options or keys.");

  herald::bench::BenchOptions bench_opts;
  std::string bench_transports = "ws";
  CLI::App* bench_cmd =
      app.add_subcommand("bench", "Latency lab: drive subscribers and publishers");
  bench_cmd->add_option("--url", bench_opts.url,
                        "Server base URL (http://HOST:PORT; https:// or wss:// for TLS)");
  bench_cmd->add_option("--cacert", bench_opts.cacert,
                        "PEM file of the CA that signed the server's certificate (TLS URLs)");
  bench_cmd->add_option("--publish-url", bench_opts.publish_url,
                        "Publishers connect here instead (another node of a cluster)");
  bench_cmd->add_option("--target", bench_opts.target, "herald | nchan | ws-echo");
  bench_cmd->add_option("--transport,--transports", bench_transports,
                        "Comma list: ws,sse,longpoll,poll,udp");
  bench_cmd->add_option("--subscribers,-n", bench_opts.subscribers, "Subscribers per transport");
  bench_cmd->add_option("--channels", bench_opts.channels, "Channels (subscriber i on i % M)");
  bench_cmd->add_option("--publishers,-p", bench_opts.publishers, "Publisher connections");
  bench_cmd->add_option("--publish-via", bench_opts.publish_via, "http | ws");
  bench_cmd->add_option("--rate", bench_opts.rate, "Publishes per second in total; 0 = max");
  bench_cmd->add_option("--inflight", bench_opts.inflight,
                        "Publishes in flight per publisher at max rate");
  bench_cmd->add_option("--payload", bench_opts.payload, "Bytes of message data");
  bench_cmd->add_option("--duration,-d", bench_opts.duration, "Seconds of publishing");
  bench_cmd->add_option("--messages,-m", bench_opts.messages,
                        "Total publishes (overrides --duration)");
  bench_cmd->add_option("--ramp-up", bench_opts.ramp_up, "Seconds over which subscribers connect");
  bench_cmd->add_option("--churn", bench_opts.churn,
                        "Reconnect each subscriber with its cursor every X s");
  bench_cmd->add_option("--poll-interval", bench_opts.poll_interval,
                        "Seconds between short polls (default: auto, <= 1 s, fits the history)");
  bench_cmd->add_option("--longpoll-wait", bench_opts.longpoll_wait,
                        "wait= of long-polls, seconds");
  bench_cmd->add_option("--drain", bench_opts.drain,
                        "Stop waiting for stragglers after this many seconds without a delivery");
  bench_cmd->add_option("--connect-timeout", bench_opts.connect_timeout,
                        "Max seconds to get ready");
  bench_cmd->add_option("--threads", bench_opts.threads, "Client loops (default: cores)");
  // A callback rather than "!--no-pin": CLI11 prints a negated flag as "--no-pin{false}".
  bench_cmd->add_flag_callback(
      "--no-pin", [&bench_opts] { bench_opts.pin = false; }, "Do not pin client loops to cores");
  bench_cmd->add_option("--server-pid", bench_opts.server_pid, "Sample this process's CPU and RSS");
  bench_cmd->add_option("--preset", bench_opts.preset,
                        "chat | ticker | fanout (workloads; compare also takes network presets)");
  bench_cmd->add_option(
      "--netem", bench_opts.netem,
      "Run in the network lab: delay=MS,jitter=MS,loss=PCT,rate=KBPS (needs root)");
  bench_cmd->add_option("--seed", bench_opts.seed, "The lab's loss draws and jitter curve");
  bench_cmd->add_flag("--serve", bench_opts.serve,
                      "Start a herald server of our own (implied by --netem)");
  bench_cmd->add_option("--server-threads", bench_opts.server_threads, "--threads of that server");
  bench_cmd->add_option("--channel-prefix", bench_opts.channel_prefix, "Channel name prefix");
  bench_cmd->add_option("--history-size", bench_opts.history_size,
                        "The server's channel.history_size, for the poll-loss note (0: unknown)");
  bench_cmd->add_option("--api-key", bench_opts.api_key, "Bearer key for /api/publish");
  bench_cmd
      ->add_option("--token", bench_opts.token,
                   "JWT every subscriber presents, and the publisher without --api-key "
                   "(default: $HERALD_TOKEN, else anonymous)")
      ->envname("HERALD_TOKEN");
  bench_cmd->add_option("--json", bench_opts.json_path, "Write every figure and parameter as JSON");
  bench_cmd->add_option("--svg", bench_opts.svg_path,
                        "Write the latency CDF and cost chart as SVG");
  bench_cmd->add_flag("--quiet,-q", bench_opts.quiet, "No progress lines on stderr");
  show_defaults(bench_cmd);
  bench_cmd->footer(
      "Example (a server of its own, two transports, 5 s of publishing each):\n"
      "  herald bench --serve --transport ws,sse --subscribers 50 --rate 200 --duration 5\n"
      "Against a running server: --url http://HOST:PORT. Exit status: 0 clean, 1 losses or "
      "failures, 2 bad options or no server at the URL.");

  herald::bench::CompareOptions compare_opts;
  CLI::App* compare_cmd = bench_cmd->add_subcommand(
      "compare", "Same workload over ws, sse, longpoll, poll and udp, then a decision table");
  compare_cmd->add_option("--url", compare_opts.url, "Running server (default: start one)");
  compare_cmd->add_option("--duration", compare_opts.duration,
                          "Seconds of publishing per transport");
  compare_cmd->add_option("--json", compare_opts.json_path,
                          "Write every figure and parameter as JSON (default: none)");
  compare_cmd->add_option("--svg", compare_opts.svg_path,
                          "Write the latency CDF and cost charts as SVG (default: none)");
  compare_cmd->add_option("--preset", compare_opts.preset,
                          "chat | ticker | fanout, or in the lab: lossy | mobile | satellite | "
                          "rtt | bandwidth (default: none, the options below)");
  compare_cmd->add_option(
      "--netem", compare_opts.netem,
      "Run in the network lab under delay=MS,jitter=MS,loss=PCT,rate=KBPS (default: "
      "none, loopback)");
  compare_cmd->add_option("--seed", compare_opts.seed, "The lab's loss draws and jitter curve");
  compare_cmd->add_flag("--list-presets", compare_opts.list_presets,
                        "Print the presets and their conditions");
  compare_cmd->add_option("--subscribers,-n", compare_opts.subscribers,
                          "Subscribers per transport (default: the preset's, else 100)");
  compare_cmd->add_option("--rate", compare_opts.rate,
                          "Publishes per second; 0 = max (default: the preset's, else 100)");
  compare_cmd->add_option("--payload", compare_opts.payload,
                          "Bytes of message data (default: the preset's, else 100)");
  compare_cmd->add_option("--channels", compare_opts.channels,
                          "Channels (default: the preset's, else 1)");
  compare_cmd->add_option("--poll-interval", compare_opts.poll_interval,
                          "Seconds between short polls (default: auto, <= 1 s, fits the history)");
  compare_cmd->add_option("--longpoll-wait", compare_opts.longpoll_wait,
                          "wait= of long-polls, seconds");
  compare_cmd->add_option("--threads", compare_opts.threads, "Client loops (default: cores)");
  compare_cmd->add_option("--server-threads", compare_opts.server_threads,
                          "--threads of the spawned server (default: its own, one per core)");
  compare_cmd->add_option("--server-pid", compare_opts.server_pid,
                          "Sample this process's CPU and RSS (with --url; default: the spawned "
                          "server, none with --url)");
  compare_cmd->add_option("--target", compare_opts.target, "herald | nchan");
  compare_cmd->add_option("--api-key", compare_opts.api_key,
                          "Bearer key for /api/publish (default: none)");
  compare_cmd
      ->add_option("--token", compare_opts.token,
                   "JWT every subscriber presents, and the publisher without --api-key "
                   "(default: $HERALD_TOKEN, else anonymous)")
      ->envname("HERALD_TOKEN");
  compare_cmd->add_option("--history-size", compare_opts.history_size,
                          "History size of the --url server, or for the spawned one (default: "
                          "auto, twice what one short poll needs)");
  compare_cmd->add_flag("--quiet,-q", compare_opts.quiet, "No progress lines on stderr");
  show_defaults(compare_cmd);
  compare_cmd->footer(
      "Runs every transport one after the other on the same workload, then prints the latency "
      "and cost tables and a decision table; docs/transports.md reads them, docs/netlab.md has "
      "the network presets (--list-presets prints them).\n"
      "Example (a server of its own, the chat workload, 5 s per transport):\n"
      "  herald bench compare --preset chat --duration 5 --json compare.json --svg compare.svg\n"
      "Exit status: 0 every transport clean (or a measured LIMIT), 1 losses or failures, 2 bad "
      "options or no server at the URL.");

  herald::bench::AdviseOptions advise_opts;
  CLI::App* advise_cmd = bench_cmd->add_subcommand(
      "advise", "Measure every transport in the network lab under your conditions; recommend one");
  advise_cmd->add_option("--rtt", advise_opts.rtt, "Round trip of the clients' path, ms: 80ms");
  advise_cmd->add_option("--jitter", advise_opts.jitter, "Jitter each way, ms: 5ms");
  advise_cmd->add_option("--loss", advise_opts.loss, "Packet loss each way, percent: 1%");
  advise_cmd->add_option("--bandwidth", advise_opts.bandwidth,
                         "Cap of the path all clients share, kbit/s: 2000kbps (default: none)");
  advise_cmd->add_option("--rate", advise_opts.rate, "Messages per second in total: 10/s");
  advise_cmd->add_option("--subscribers,-n", advise_opts.subscribers, "Subscribers");
  advise_cmd->add_option("--channels", advise_opts.channels, "Channels");
  advise_cmd->add_option("--payload", advise_opts.payload, "Bytes of message data");
  advise_cmd->add_option("--duration", advise_opts.duration, "Seconds of publishing per transport");
  advise_cmd->add_option("--seed", advise_opts.seed, "The lab's loss draws and jitter curve");
  advise_cmd->add_option("--client", advise_opts.client, "browser | native");
  advise_cmd->add_flag("--proxies", advise_opts.proxies,
                       "Clients sit behind proxies that buffer responses");
  advise_cmd->add_flag("--sends", advise_opts.sends, "Clients also send (chat, games)");
  advise_cmd->add_option("--json", advise_opts.json_path,
                         "Write the report and the advice as JSON (default: none)");
  advise_cmd->add_option("--server-threads", advise_opts.server_threads,
                         "--threads of the server it starts (default: its own, one per core)");
  advise_cmd->add_flag("--quiet,-q", advise_opts.quiet, "No progress lines on stderr");
  show_defaults(advise_cmd);
  advise_cmd->footer(
      "Starts a server of its own in the network lab (needs root), runs ws, sse, longpoll and "
      "poll under the condition given, prints the tables and recommends one transport with the "
      "figures behind it; docs/netlab.md (\"herald bench advise\") says how it chooses.\n"
      "Example (an 80 ms round trip losing 1% each way, 100 subscribers at 10 messages/s):\n"
      "  herald bench advise --rtt 80ms --loss 1% --rate 10/s --subscribers 100\n"
      "Exit status: 0 advice given, 1 no transport delivered every message, 2 bad options or no "
      "lab (not root).");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (CLI11's own codes are 100+).
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*check_cmd) {
    if (check_keys) {
      std::fputs(herald::server::config_keys_markdown().c_str(), stdout);
      return 0;
    }
    if (check_path.empty()) {
      std::fputs("herald check-config: a config file is required (or --keys)\n", stderr);
      return 2;
    }
    return check_config(check_path);
  }
  if (*compare_cmd) return herald::bench::run_compare(compare_opts);
  if (*advise_cmd) return herald::bench::run_advise(advise_opts);
  if (*bench_cmd) return run_bench_command(*bench_cmd, bench_opts, bench_transports);
  if (*serve_cmd) return serve(serve_flags);
  if (*pub_cmd) return herald::cli::run_pub(pub_opts);
  if (*sub_cmd) return herald::cli::run_sub(sub_opts);
  if (*token_cmd) {
    token_opts.has_sub = token_cmd->count("--sub") > 0;
    return herald::cli::run_token(token_opts);
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
