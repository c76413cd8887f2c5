#pragma once
// `herald pub CHANNEL DATA`: publishes through POST /api/publish and prints the server's answer.
#include <string>
#include <string_view>

namespace herald::cli {

struct PubOptions {
  std::string url = "http://127.0.0.1:8080";  // https:// speaks TLS
  std::string cacert;                         // PEM CA file for TLS ("" : the system's store)
  std::string channel;
  std::string data;
  std::string api_key;  // empty: $HERALD_API_KEY, if set
  int count = 1;        // publish the same data this many times (pipelined, in order)
  /// --binary: `data` names a file ("-": stdin) whose bytes are published unchanged
  /// (application/octet-stream, ?channel=) instead of a JSON value.
  bool binary = false;
};

/// The most --binary reads; the server's own limits (websocket.max_message, http.max_body) are
/// usually far lower and answer 413.
constexpr size_t kMaxBinaryFileBytes = 64u << 20;

/// Reads the whole of `path` ("-": stdin) into `out`; false with `why` when it cannot, or when
/// it is larger than kMaxBinaryFileBytes.
bool read_payload_file(const std::string& path, std::string* out, std::string* why);

/// The JSON value sent as "data": DATA itself when it is exactly one valid JSON value
/// (`{"a":1}`, `42`, `"x"`, `true`), otherwise DATA as a JSON string (`hello` -> `"hello"`),
/// so a plain word can be published without quoting it twice in a shell.
std::string publish_data_json(std::string_view data);

/// The request body {"channel":C,"data":D}.
std::string publish_body(std::string_view channel, std::string_view data);

/// Runs the command: for each publish, prints the server's JSON answer ({"offset":N,
/// "epoch":"E"}) as one line on stdout. Returns 0 when every answer was 200; otherwise prints
/// "herald pub: ..." (HTTP status and the server's error, or the connection error) on stderr
/// and returns 1 (2 for a bad --url).
int run_pub(const PubOptions& options);

}  // namespace herald::cli
