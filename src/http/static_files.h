#pragma once
// Static files (the demo page, the admin dashboard and the JS client in web/): safe mapping of a
// request path to a file under a root directory, Content-Type by extension, reading a small file
// whole, and its entity tag for conditional GETs (If-None-Match -> 304).
#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace herald::http {

struct Request;

/// Largest file served from the web root; a larger one answers 404 (it is not meant for us).
inline constexpr size_t kMaxStaticFileBytes = 4 * 1024 * 1024;

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

/// A strong entity tag (RFC 9110 §8.8.3) for `content`: the first 128 bits of its SHA-256 in
/// base64url, quoted (`"` + 22 characters + `"`). It depends on the bytes only, so every loop and
/// every node serving the same file gives the same tag, and any change of the file changes it.
std::string entity_tag(std::string_view content);

/// True when an If-None-Match field value (a comma-separated list of entity tags, or `*`)
/// matches `etag`. The comparison is the weak one that RFC 9110 §13.1.2 prescribes for
/// If-None-Match: `W/"x"` matches `"x"`. A malformed list matches nothing (the full answer is
/// always safe).
bool if_none_match_matches(std::string_view field_value, std::string_view etag);

/// True when any If-None-Match header of `req` matches `etag`: the request may be answered 304.
bool not_modified(const Request& req, std::string_view etag);

struct StaticFile {
  std::string content;
  std::string_view content_type;  // a static string
  std::string etag;               // entity_tag(content)
};

/// resolve_static_path() under `root`, then read_file(). Errors as in those two functions.
base::Result<StaticFile> load_static_file(std::string_view root, std::string_view raw_path,
                                          size_t max_bytes);

}  // namespace herald::http
