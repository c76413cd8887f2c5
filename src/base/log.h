#pragma once
// Logging: one event per line, as text or as JSON (server.log_format; docs/operations.md,
// "Logs"). One mechanism for everything: an event has a level, an optional stable machine name
// (`conn_open`, `listen`...), an optional human message and typed fields; text renders the
// fields as `key=value` after the message, JSON as members of one object. The printf-style
// HLOG_* macros are events with a message and no name.
//
// Where lines go: stderr, and the HTTP access log (server.access_log) for HLOG_ACCESS. A loop
// thread buffers its lines and writes them once per iteration (log_flush, after the reap), so
// a connect storm costs one write per iteration instead of one per line, and a blocked stderr
// (a full pipe) never blocks the loop: the buffer is bounded (kLogBufferBytes) and lines past it
// are dropped and counted (log_lines_dropped, reported by a `log_dropped` event). Other threads
// (start-up, the main thread) write each line at once.
#include <cstdarg>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace herald::base {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class LogFormat : uint8_t { text = 0, json = 1 };

/// What one loop thread may hold for one destination before it drops lines (the writer cannot
/// keep up or stderr is blocked). A line longer than kMaxLogLine is cut there.
inline constexpr size_t kLogBufferBytes = 256 * 1024;
inline constexpr size_t kMaxLogLine = 4096;

void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_log_level(const char* s, LogLevel* out);
void set_log_format(LogFormat format);
LogFormat log_format();
/// Parses "text|json"; returns false on anything else.
bool parse_log_format(const char* s, LogFormat* out);
inline bool log_enabled(LogLevel level) {
  return static_cast<int>(level) >= static_cast<int>(log_level());
}

/// One typed field of an event. Views must outlive the log call only.
struct LogField {
  enum class Kind : uint8_t { text, uint, sint, boolean, millis };
  std::string_view key;
  Kind kind = Kind::text;
  std::string_view text;
  uint64_t u = 0;
  int64_t i = 0;

  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v ? v : "") {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v) {}
  LogField(std::string_view k, bool v) : key(k), kind(Kind::boolean), u(v) {}
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_unsigned_v<T>)
      LogField(std::string_view k, T v)
      : key(k), kind(Kind::uint), u(v) {}
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_signed_v<T>)
      LogField(std::string_view k, T v)
      : key(k), kind(Kind::sint), i(v) {}
  /// A duration given in microseconds, shown in milliseconds with three decimals ("12.345").
  static LogField millis(std::string_view k, uint64_t us) {
    LogField f(k, us);
    f.kind = Kind::millis;
    return f;
  }
};

/// Renders one line (with its '\n') into `out` (cleared first). Pure: the unit tests call it.
///  text: `2026-01-02T03:04:05.678Z info  MSG k=v k="v w"` (MSG is the event name when there
///        is no message; a value that is empty or holds a space, '"', '=' or a byte outside
///        printable ASCII is quoted and escaped as a JSON string).
///  json: `{"ts":"...","level":"info","event":"NAME","msg":"MSG","k":"v","n":1}` (event and
///        msg left out when empty; strings escaped, invalid UTF-8 replaced by U+FFFD).
void render_log_line(std::string& out, LogFormat format, uint64_t wall_us, LogLevel level,
                     std::string_view event, std::string_view msg,
                     std::span<const LogField> fields);

/// Logs one event on stderr (check log_enabled first, or use HLOG_EVENT).
void log_event(LogLevel level, std::string_view event, std::string_view msg,
               std::initializer_list<LogField> fields = {});
/// The same with fields built by the caller (some of them optional).
void log_event(LogLevel level, std::string_view event, std::string_view msg,
               std::span<const LogField> fields);
/// A printf-style message without an event name (HLOG_*).
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// ---- the HTTP access log --------------------------------------------------------------------

/// Where access lines go: "" (off), "stderr", or a file path (appended, created 0644). Opens
/// the file now; false with `*error` when it cannot. Call before the loops start, or from the
/// thread that handles SIGHUP (the descriptor is swapped atomically, never closed under a
/// writer).
bool open_access_log(const std::string& where, std::string* error);
/// SIGHUP: opens the access log's path again (logrotate renamed the old file) and writes to
/// the new file from now on. Nothing when it is off or on stderr.
bool reopen_access_log(std::string* error);
/// Whether access lines are written (a request records what its line needs only then).
bool access_log_enabled();
/// Writes one access line (event `http_request`, level info) in the log format.
void log_access(std::initializer_list<LogField> fields);

// ---- per-thread buffering -------------------------------------------------------------------

/// From now on this thread's lines wait in its buffers until log_flush() (a loop thread: once
/// per iteration). Call on the thread itself.
void log_buffer_thread();
/// Writes what this thread buffered without blocking for long: stderr (a pipe, a terminal)
/// only as far as it is writable now, in pieces of whole lines; the rest waits for the next
/// call. `final`: write everything, waiting if need be (the thread is ending), and stop
/// buffering.
void log_flush(bool final = false);
/// Lines dropped so far because a buffer was full (all threads).
uint64_t log_lines_dropped();

}  // namespace herald::base

#define HLOG(level, ...)                                                             \
  do {                                                                               \
    if (::herald::base::log_enabled(level)) ::herald::base::log(level, __VA_ARGS__); \
  } while (0)
#define HLOG_DEBUG(...) HLOG(::herald::base::LogLevel::debug, __VA_ARGS__)
#define HLOG_INFO(...) HLOG(::herald::base::LogLevel::info, __VA_ARGS__)
#define HLOG_WARN(...) HLOG(::herald::base::LogLevel::warn, __VA_ARGS__)
#define HLOG_ERROR(...) HLOG(::herald::base::LogLevel::error, __VA_ARGS__)
/// HLOG_EVENT(LogLevel::info, "conn_open", "", {"id", id}, {"remote", addr}): fields are built
/// only when the level is enabled.
#define HLOG_EVENT(level, event, msg, ...)                         \
  do {                                                             \
    if (::herald::base::log_enabled(level))                        \
      ::herald::base::log_event(level, event, msg, {__VA_ARGS__}); \
  } while (0)
