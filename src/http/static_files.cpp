#include "http/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "http_codec/query.h"

namespace herald::http {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

base::Result<std::string> resolve_static_path(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') return base::Errc::bad_request;
  // Decode first, then judge the decoded bytes: "%2e%2e" and "%2f" must not slip past the
  // segment checks below. '+' stays a '+' in a path.
  std::string path;
  if (!percent_decode_into(raw_path.substr(1), false, path)) return base::Errc::bad_request;
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return base::Errc::bad_request;
  }
  if (path.empty() || path.back() == '/') path += "index.html";
  std::string_view rest = path;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment.front() == '.') return base::Errc::bad_request;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return path;
}

std::string_view content_type_for(std::string_view file_name) {
  size_t slash = file_name.rfind('/');
  std::string_view base_name =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  size_t dot = base_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string_view ext = base_name.substr(dot + 1);
  struct Entry {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
  };
  for (const Entry& e : kTypes) {
    if (iequals(ext, e.ext)) return e.type;
  }
  return "application/octet-stream";
}

base::Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) ? base::Errc::not_found
                                                                    : base::Errc::unavailable;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return base::Errc::not_found;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return base::Errc::limit_exceeded;
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the file shrank while reading: serve what is there
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

base::Result<StaticFile> load_static_file(std::string_view root, std::string_view raw_path,
                                          size_t max_bytes) {
  base::Result<std::string> rel = resolve_static_path(raw_path);
  if (!rel) return rel.error();
  std::string full(root);
  if (full.empty() || full.back() != '/') full += '/';
  full += *rel;
  base::Result<std::string> content = read_file(full, max_bytes);
  if (!content) return content.error();
  return StaticFile{std::move(*content), content_type_for(*rel)};
}

}  // namespace herald::http
