#pragma once
// Leveled logging: one line per event on stderr, no per-message logging at info
// (docs/operations.md).
#include <cstdarg>

namespace herald::base {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses "debug|info|warn|error|off"; returns false on anything else.
bool parse_log_level(const char* s, LogLevel* out);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace herald::base

#define HLOG(level, ...)                                                          \
  do {                                                                            \
    if (static_cast<int>(level) >= static_cast<int>(::herald::base::log_level())) \
      ::herald::base::log(level, __VA_ARGS__);                                    \
  } while (0)
#define HLOG_DEBUG(...) HLOG(::herald::base::LogLevel::debug, __VA_ARGS__)
#define HLOG_INFO(...) HLOG(::herald::base::LogLevel::info, __VA_ARGS__)
#define HLOG_WARN(...) HLOG(::herald::base::LogLevel::warn, __VA_ARGS__)
#define HLOG_ERROR(...) HLOG(::herald::base::LogLevel::error, __VA_ARGS__)
