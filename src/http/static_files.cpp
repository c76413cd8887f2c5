#include "http/static_files.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "http_codec/parser.h"
#include "http_codec/query.h"
#include "http_codec/syntax.h"

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

std::string entity_tag(std::string_view content) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest);
  // 128 bits are plenty for telling versions of one file apart (this is not a signature), and
  // 16 bytes make 21 full base64url characters plus one for the last byte's top bits.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  constexpr size_t kTagBytes = 16;
  std::string tag = "\"";
  uint32_t bits = 0;
  int nbits = 0;
  for (size_t i = 0; i < kTagBytes; ++i) {
    bits = (bits << 8) | digest[i];
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      tag += kAlphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) tag += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  tag += '"';
  return tag;
}

bool if_none_match_matches(std::string_view v, std::string_view etag) {
  // Weak comparison: the opaque-tags must be equal, the W/ prefixes do not matter. The list is
  // walked tag by tag rather than split on commas, because a quoted tag may contain a comma.
  std::string_view want = etag;
  if (want.size() >= 2 && want.substr(0, 2) == "W/") want.remove_prefix(2);
  size_t i = 0;
  while (true) {
    while (i < v.size() && (syntax::is_ows(v[i]) || v[i] == ',')) ++i;
    if (i == v.size()) return false;
    if (v[i] == '*') return true;
    if (v.substr(i, 2) == "W/") i += 2;
    if (i == v.size() || v[i] != '"') return false;  // malformed: no match
    size_t close = v.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (v.substr(i, close + 1 - i) == want) return true;
    i = close + 1;
  }
}

bool not_modified(const Request& req, std::string_view etag) {
  for (const Header& h : req.headers) {
    if (syntax::iequals(h.name, "If-None-Match") && if_none_match_matches(h.value, etag)) {
      return true;
    }
  }
  return false;
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
  std::string etag = entity_tag(*content);
  return StaticFile{std::move(*content), content_type_for(*rel), std::move(etag)};
}

}  // namespace herald::http
