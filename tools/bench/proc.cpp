#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "result.h"

namespace herald::bench {

namespace {
bool read_file(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}
}  // namespace

bool parse_proc_stat_ticks(const std::string& text, uint64_t* ticks) {
  // "pid (comm) state ppid ..." - comm may contain ") ", so split at the last ')'.
  size_t rp = text.rfind(')');
  if (rp == std::string::npos) return false;
  // Fields after comm start at field 3 (state); utime is field 14, stime 15.
  const char* p = text.c_str() + rp + 1;
  uint64_t utime = 0, stime = 0;
  for (int field = 3; field <= 15; ++field) {
    while (*p == ' ') ++p;
    if (!*p) return false;
    const char* start = p;
    while (*p && *p != ' ') ++p;
    if (field == 14) utime = std::strtoull(start, nullptr, 10);
    if (field == 15) stime = std::strtoull(start, nullptr, 10);
  }
  *ticks = utime + stime;
  return true;
}

uint64_t parse_status_kb(const std::string& text, const char* name) {
  std::string key = std::string("\n") + name + ":";
  size_t at = text.find(key);
  if (at == std::string::npos) {
    if (text.compare(0, key.size() - 1, key.c_str() + 1) != 0) return 0;
    at = 0;
  } else {
    at += 1;
  }
  return std::strtoull(text.c_str() + at + key.size() - 1, nullptr, 10);
}

// CPU time of every thread of `pid` in nanoseconds, from /proc/PID/task/*/schedstat (first
// field: time on a CPU). Finer than the 10 ms ticks of /proc/PID/stat, which short runs need.
// 0 when unavailable.
uint64_t schedstat_ns(int pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  uint64_t total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string text;
    if (read_file(dir + "/" + e->d_name + "/schedstat", &text))
      total += std::strtoull(text.c_str(), nullptr, 10);
  }
  closedir(d);
  return total;
}

ProcSample sample_process(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::string stat, status;
  std::string base = "/proc/" + std::to_string(pid);
  if (!read_file(base + "/stat", &stat) || !read_file(base + "/status", &status)) return s;
  uint64_t ticks = 0;
  if (!parse_proc_stat_ticks(stat, &ticks)) return s;
  long hz = sysconf(_SC_CLK_TCK);
  s.cpu_s = double(ticks) / double(hz > 0 ? hz : 100);
  if (uint64_t ns = schedstat_ns(pid)) s.cpu_s = double(ns) / 1e9;
  s.rss_kb = parse_status_kb(status, "VmRSS");
  s.hwm_kb = parse_status_kb(status, "VmHWM");
  s.ok = true;
  return s;
}

}  // namespace herald::bench
