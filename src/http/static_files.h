#pragma once
// Static files (the demo page and admin dashboard in web/): safe mapping of a request path to a
// file under a root directory, Content-Type by extension, and reading a small file whole.
#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace herald::http {

/// Maps a raw request path ("/js/app.js", still percent-encoded, without the query) to a path
/// relative to the web root ("js/app.js"). "/" and any path ending in '/' get "index.html".
/// Errc::bad_request when the path could leave the root or name something hidden: it must start
/// with '/', and after decoding it may not contain NUL or other control bytes, backslashes,
/// empty segments ("a//b") or any segment starting with '.' (which covers "." and ".." however
/// they were encoded, e.g. "%2e%2e", and dot-files such as ".git").
base::Result<std::string> resolve_static_path(std::string_view raw_path);

/// The Content-Type for a file name by its extension (html, js, mjs, css, json, svg, png, ico,
/// txt, wasm; case-insensitive), "application/octet-stream" otherwise.
std::string_view content_type_for(std::string_view file_name);

/// Reads the regular file at `path` into a string. Errc::not_found if it does not exist or is
/// not a regular file, Errc::limit_exceeded if larger than `max_bytes`, Errc::unavailable on
/// another read error.
base::Result<std::string> read_file(const std::string& path, size_t max_bytes);

struct StaticFile {
  std::string content;
  std::string_view content_type;  // a static string
};

/// resolve_static_path() under `root`, then read_file(). Errors as in those two functions.
base::Result<StaticFile> load_static_file(std::string_view root, std::string_view raw_path,
                                          size_t max_bytes);

}  // namespace herald::http
