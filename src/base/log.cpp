#include "base/log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include "base/json_string.h"

namespace herald::base {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::atomic<uint64_t> g_dropped{0};

// Writes to a pipe of at most this many bytes are atomic (POSIX PIPE_BUF) and, once poll says
// the pipe is writable, never block: a writable pipe has at least one free page.
constexpr size_t kPipeChunk = 4096;

const char* name(LogLevel l) {
  switch (l) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
    default:
      return "?";
  }
}

// One destination. The access log's descriptor is replaced in place on SIGHUP (dup2), so a
// writer on another thread never writes to a closed or reused descriptor number.
struct Sink {
  std::atomic<int> fd;
  std::atomic<bool> regular;  // a regular file: writes do not wait for a reader
};
Sink g_stderr{2, false};
Sink g_access{-1, false};
std::once_flag g_stderr_checked;
std::mutex g_access_mu;     // open/reopen (start-up, SIGHUP)
std::string g_access_path;  // "" when off or on stderr

bool is_regular(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int sink_fd(Sink& s) {
  if (&s == &g_stderr)
    std::call_once(g_stderr_checked, [] { g_stderr.regular.store(is_regular(2)); });
  return s.fd.load(std::memory_order_acquire);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the reader is gone: nothing to do about it here
    data.remove_prefix(size_t(w));
  }
}

// Writes the front of `data` that the destination takes now, in pieces of whole lines; returns
// how many bytes are done with (written, or dropped after an error).
size_t write_available(Sink& s, std::string_view data) {
  int fd = sink_fd(s);
  if (fd < 0) return data.size();
  if (s.regular.load(std::memory_order_relaxed)) {
    write_all(fd, data);
    return data.size();
  }
  size_t done = 0;
  while (done < data.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 0) != 1) break;
    if (p.revents & (POLLERR | POLLNVAL)) return data.size();
    if (!(p.revents & POLLOUT)) break;
    size_t n = std::min(kPipeChunk, data.size() - done);
    if (done + n < data.size()) {
      // End the piece at a line end so that lines of several threads never interleave.
      size_t nl = data.rfind('\n', done + n - 1);
      if (nl != std::string_view::npos && nl >= done) n = nl + 1 - done;
    }
    ssize_t w = ::write(fd, data.data() + done, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w <= 0) return data.size();
    done += size_t(w);
  }
  return done;
}

struct ThreadLog {
  bool buffered = false;
  std::string err;       // lines for stderr
  std::string acc;       // lines for the access log
  uint64_t dropped = 0;  // since the last log_dropped event
};
thread_local ThreadLog t_log;
thread_local std::string t_line;

void emit(Sink& sink, std::string& buffer, std::string_view line) {
  if (!t_log.buffered) {
    int fd = sink_fd(sink);
    if (fd >= 0) write_all(fd, line);
    return;
  }
  if (buffer.size() + line.size() > kLogBufferBytes) {
    ++t_log.dropped;
    g_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  buffer.append(line);
}

// The date and time to the second are formatted once a second per thread: formatting them
// (gmtime_r, snprintf) was two thirds of the cost of a connection line.
void append_timestamp(std::string& out, uint64_t wall_us) {
  thread_local int64_t cached_sec = -1;
  thread_local char cached[80];  // room for any int the format could see
  int64_t sec = int64_t(wall_us / 1'000'000);
  if (sec != cached_sec) {
    time_t t0 = time_t(sec);
    tm t;
    gmtime_r(&t0, &t);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    cached_sec = sec;
  }
  out.append(cached, 20);
  unsigned ms = unsigned(wall_us / 1000 % 1000);
  char tail[4] = {char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10), 'Z'};
  out.append(tail, 4);
}

void append_number(std::string& out, const LogField& f) {
  char buf[32];
  char* end = buf;
  switch (f.kind) {
    case LogField::Kind::uint:
      end = std::to_chars(buf, buf + sizeof buf, f.u).ptr;
      break;
    case LogField::Kind::sint:
      end = std::to_chars(buf, buf + sizeof buf, f.i).ptr;
      break;
    case LogField::Kind::millis: {
      end = std::to_chars(buf, buf + sizeof buf, f.u / 1000).ptr;
      *end++ = '.';
      unsigned frac = unsigned(f.u % 1000);
      *end++ = char('0' + frac / 100);
      *end++ = char('0' + frac / 10 % 10);
      *end++ = char('0' + frac % 10);
      break;
    }
    case LogField::Kind::boolean:
      out.append(f.u ? "true" : "false");
      return;
    case LogField::Kind::text:
      return;
  }
  out.append(buf, end);
}

// A text value goes bare when a reader can split on spaces and '=' unambiguously.
bool bare(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '=') return false;
  }
  return true;
}

uint64_t now_us() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return uint64_t(tv.tv_sec) * 1'000'000 + uint64_t(tv.tv_usec);
}

void log_to(Sink& sink, bool access, LogLevel level, std::string_view event, std::string_view msg,
            std::span<const LogField> fields) {
  std::string& line = t_line;
  render_log_line(line, g_format.load(std::memory_order_relaxed), now_us(), level, event, msg,
                  fields);
  emit(sink, access ? t_log.acc : t_log.err, line);
}

}  // namespace

void set_log_level(LogLevel level) {
  g_level.store(level, std::memory_order_relaxed);
}
LogLevel log_level() {
  return g_level.load(std::memory_order_relaxed);
}
void set_log_format(LogFormat format) {
  g_format.store(format, std::memory_order_relaxed);
}
LogFormat log_format() {
  return g_format.load(std::memory_order_relaxed);
}

bool parse_log_level(const char* s, LogLevel* out) {
  static const char* names[] = {"debug", "info", "warn", "error", "off"};
  for (int i = 0; i < 5; ++i) {
    if (std::strcmp(s, names[i]) == 0) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool parse_log_format(const char* s, LogFormat* out) {
  if (std::strcmp(s, "text") == 0) {
    *out = LogFormat::text;
    return true;
  }
  if (std::strcmp(s, "json") == 0) {
    *out = LogFormat::json;
    return true;
  }
  return false;
}

void render_log_line(std::string& out, LogFormat format, uint64_t wall_us, LogLevel level,
                     std::string_view event, std::string_view msg,
                     std::span<const LogField> fields) {
  out.clear();
  if (format == LogFormat::json) {
    out.append("{\"ts\":\"");
    append_timestamp(out, wall_us);
    out.append("\",\"level\":\"");
    out.append(name(level));
    out.push_back('"');
    if (!event.empty()) {
      out.append(",\"event\":");
      append_json_string(out, event);
    }
    if (!msg.empty()) {
      out.append(",\"msg\":");
      append_json_string(out, msg);
    }
    for (const LogField& f : fields) {
      out.push_back(',');
      append_json_string(out, f.key);
      out.push_back(':');
      if (f.kind == LogField::Kind::text)
        append_json_string(out, f.text);
      else
        append_number(out, f);
    }
    out.push_back('}');
  } else {
    append_timestamp(out, wall_us);
    // " info  ": the level padded to five characters, as the text format always had it.
    std::string_view lvl = name(level);
    out.push_back(' ');
    out.append(lvl);
    out.append(6 - lvl.size(), ' ');
    out.append(msg.empty() ? event : msg);
    for (const LogField& f : fields) {
      out.push_back(' ');
      out.append(f.key);
      out.push_back('=');
      if (f.kind != LogField::Kind::text)
        append_number(out, f);
      else if (bare(f.text))
        out.append(f.text);
      else
        append_json_string(out, f.text);
    }
  }
  if (out.size() > kMaxLogLine - 1) {
    // Cut, and keep a JSON line parseable: the cut line says so instead of its fields.
    if (format == LogFormat::json) {
      std::string cut;
      render_log_line(cut, format, wall_us, level, event, "line too long, cut", {});
      cut.pop_back();  // its '\n', added below
      out.swap(cut);
    } else {
      out.resize(kMaxLogLine - 1);
    }
  }
  out.push_back('\n');
}

void log_event(LogLevel level, std::string_view event, std::string_view msg,
               std::initializer_list<LogField> fields) {
  log_to(g_stderr, false, level, event, msg,
         std::span<const LogField>(fields.begin(), fields.size()));
}

void log_event(LogLevel level, std::string_view event, std::string_view msg,
               std::span<const LogField> fields) {
  log_to(g_stderr, false, level, event, msg, fields);
}

void log(LogLevel level, const char* fmt, ...) {
  char msg[kMaxLogLine];
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t len = m < 0 ? 0 : std::min(size_t(m), sizeof msg - 1);
  log_to(g_stderr, false, level, {}, std::string_view(msg, len), {});
}

bool open_access_log(const std::string& where, std::string* error) {
  std::lock_guard<std::mutex> lock(g_access_mu);
  if (where.empty()) {
    g_access_path.clear();
    g_access.fd.store(-1, std::memory_order_release);
    return true;
  }
  if (where == "stderr") {
    g_access_path.clear();
    g_access.regular.store(is_regular(2));
    g_access.fd.store(2, std::memory_order_release);
    return true;
  }
  int fd = ::open(where.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "server.access_log: cannot open " + where + ": " + std::strerror(errno);
    return false;
  }
  int old = g_access.fd.load();
  if (old > 2 && !g_access_path.empty()) {
    // Replace the file behind the descriptor number in one step: a loop writing now still
    // writes to a valid file (the old or the new one), never to a closed number.
    ::dup2(fd, old);
    ::close(fd);
    fd = old;
  }
  g_access_path = where;
  g_access.regular.store(is_regular(fd));
  g_access.fd.store(fd, std::memory_order_release);
  return true;
}

bool reopen_access_log(std::string* error) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(g_access_mu);
    path = g_access_path;
  }
  if (path.empty()) return true;
  return open_access_log(path, error);
}

bool access_log_enabled() {
  return g_access.fd.load(std::memory_order_relaxed) >= 0;
}

void log_access(std::initializer_list<LogField> fields) {
  log_to(g_access, true, LogLevel::info, "http_request", {},
         std::span<const LogField>(fields.begin(), fields.size()));
}

void log_buffer_thread() {
  t_log.buffered = true;
}

void log_flush(bool final) {
  ThreadLog& t = t_log;
  if (!t.buffered) return;
  // The loop asks every iteration; most iterations logged nothing.
  if (t.err.empty() && t.acc.empty() && t.dropped == 0) return;
  if (t.dropped > 0 && t.err.size() < kLogBufferBytes / 2) {
    // Said once the buffer has room again, so the report itself is not dropped.
    uint64_t n = t.dropped;
    t.dropped = 0;
    if (log_enabled(LogLevel::warn)) {
      const LogField f[] = {{"count", n}};
      render_log_line(t_line, g_format.load(std::memory_order_relaxed), now_us(), LogLevel::warn,
                      "log_dropped", "log lines dropped (stderr blocked)", f);
      t.err.append(t_line);
    }
  }
  for (auto [sink, buf] : {std::pair{&g_stderr, &t.err}, {&g_access, &t.acc}}) {
    if (buf->empty()) continue;
    if (final) {
      int fd = sink_fd(*sink);
      if (fd >= 0) write_all(fd, *buf);
      buf->clear();
      continue;
    }
    size_t done = write_available(*sink, *buf);
    if (done == buf->size())
      buf->clear();
    else
      buf->erase(0, done);
  }
  if (final) t.buffered = false;
}

uint64_t log_lines_dropped() {
  return g_dropped.load(std::memory_order_relaxed);
}

}  // namespace herald::base
