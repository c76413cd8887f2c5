#include "tools/cli/pub.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "loop/loop.h"
#include "proto/json.h"
#include "tools/cli/client.h"
#include "tools/cli/url.h"

namespace herald::cli {

namespace {
// A server that accepts the connection and never answers must not hang a script.
constexpr uint64_t kPubTimeoutMs = 30'000;

std::string_view trim_newlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string publish_data_json(std::string_view data) {
  std::string out;
  if (proto::minify_json(data, &out)) return out;
  out.clear();
  proto::append_json_string(out, data);
  return out;
}

std::string publish_body(std::string_view channel, std::string_view data) {
  std::string body = "{\"channel\":";
  proto::append_json_string(body, channel);
  body += ",\"data\":";
  body += publish_data_json(data);
  body += '}';
  return body;
}

bool read_payload_file(const std::string& path, std::string* out, std::string* why) {
  bool is_stdin = path == "-";
  FILE* f = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) {
    *why = path + ": " + std::strerror(errno);
    return false;
  }
  out->clear();
  char buf[64 * 1024];
  bool ok = true;
  for (;;) {
    size_t n = std::fread(buf, 1, sizeof buf, f);
    if (n > 0) {
      if (out->size() + n > kMaxBinaryFileBytes) {
        *why = (is_stdin ? std::string("stdin") : path) + ": larger than " +
               std::to_string(kMaxBinaryFileBytes >> 20) + " MiB";
        ok = false;
        break;
      }
      out->append(buf, n);
    }
    if (n < sizeof buf) {
      if (std::ferror(f)) {
        *why = (is_stdin ? std::string("stdin") : path) + ": read error";
        ok = false;
      }
      break;
    }
  }
  if (!is_stdin) std::fclose(f);
  return ok;
}

int run_pub(const PubOptions& o) {
  auto url = parse_url(o.url);
  if (!url.ok()) {
    std::fprintf(stderr, "herald pub: bad --url \"%s\" (expected http[s]://HOST:PORT)\n",
                 o.url.c_str());
    return 2;
  }
  auto addr = url->address();
  if (!addr.ok()) {
    std::fprintf(stderr, "herald pub: bad address \"%s\" (numeric host or localhost)\n",
                 url->authority().c_str());
    return 2;
  }
  std::string key = o.api_key;
  if (key.empty()) {
    if (const char* env = std::getenv("HERALD_API_KEY")) key = env;
  }
  std::string auth = "Bearer " + key;
  http::Header headers[1] = {{"Authorization", auth}};
  std::span<const http::Header> extra;
  if (!key.empty()) extra = headers;

  std::string why;
  auto tls = client_tls(url.value(), o.cacert, why);
  if (!tls.ok()) {
    std::fprintf(stderr, "herald pub: %s\n", why.c_str());
    return 2;
  }

  loop::Loop loop;
  HttpClient client(loop, addr.value(), url->authority());
  if (tls.value()) client.use_tls(tls.value(), url->host);
  std::string body;
  std::string target = "/api/publish";
  std::string_view content_type = "application/json";
  if (o.binary) {
    std::string why;
    if (!read_payload_file(o.data, &body, &why)) {
      std::fprintf(stderr, "herald pub: %s\n", why.c_str());
      return 2;
    }
    target += "?channel=" + query_escape(o.channel);
    content_type = "application/octet-stream";
  } else {
    body = publish_body(o.channel, o.data);
  }
  int count = o.count < 1 ? 1 : o.count;
  int answered = 0;
  int rc = 0;
  for (int i = 0; i < count; ++i) {
    client.request(
        "POST", target, body,
        [&](const HttpResult& r) {
          ++answered;
          if (r.error) {
            std::fprintf(stderr, "herald pub: %s: %s\n", std::string(r.error_text).c_str(),
                         r.error.message().c_str());
            rc = 1;
          } else if (r.res->status != 200) {
            std::string_view msg = trim_newlines(r.res->body);
            std::fprintf(stderr, "herald pub: HTTP %d: %.*s\n", r.res->status,
                         static_cast<int>(msg.size()), msg.data());
            rc = 1;
          } else {
            std::string_view out = trim_newlines(r.res->body);
            std::fwrite(out.data(), 1, out.size(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
          }
          if (answered == count) loop.stop();
        },
        content_type, extra);
  }
  loop::Timer timeout;
  timeout.start(loop.timers(), kPubTimeoutMs, [&] {
    std::fprintf(stderr, "herald pub: no answer within %llu s\n",
                 static_cast<unsigned long long>(kPubTimeoutMs / 1000));
    rc = 1;
    loop.stop();
  });
  loop.run();
  timeout.stop();
  return rc;
}

}  // namespace herald::cli
