#include "tools/cli/sub.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/channel.h"
#include "loop/loop.h"
#include "proto/binary.h"
#include "proto/cursor.h"
#include "proto/json.h"
#include "tools/cli/client.h"
#include "tools/cli/poller.h"
#include "tools/cli/sse_client.h"
#include "tools/cli/udp_client.h"
#include "tools/cli/url.h"
#include "tools/cli/ws_client.h"

namespace herald::cli {

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 3;

void print_line(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// One run of the command: the loop, the exit status, the push count.
class Session {
 public:
  Session(const SubOptions& o, const Url& url, const net::Address& addr,
          std::shared_ptr<const tls::Context> tls)
      : o_(o), url_(url), addr_(addr), tls_(std::move(tls)) {}

  int run() {
    loop_.on_signal(SIGINT, [this] { finish(0); });
    loop_.on_signal(SIGTERM, [this] { finish(0); });
    if (o_.timeout_sec > 0) {
      timeout_.start(loop_.timers(), static_cast<uint64_t>(o_.timeout_sec * 1000), [this] {
        if (o_.count > 0) {
          std::fprintf(stderr, "herald sub: timeout: %d of %d messages\n", received_, o_.count);
          finish(kExitTimeout);
        } else {
          finish(0);
        }
      });
    }
    if (o_.transport == "ws") {
      start_ws();
    } else if (o_.transport == "sse") {
      start_sse();
    } else if (o_.transport == "udp") {
      start_udp();
    } else {
      start_poll(o_.transport == "longpoll" ? static_cast<uint32_t>(o_.wait_sec) : 0);
    }
    if (!done_) loop_.run();
    timeout_.stop();
    if (ws_ && ws_->is_open()) ws_->close();
    if (udp_) udp_->close();
    return rc_;
  }

 private:
  void finish(int rc) {
    if (done_) return;
    done_ = true;
    rc_ = rc;
    loop_.stop();
  }
  void error(std::string_view what) {
    if (done_) return;
    std::fprintf(stderr, "herald sub: %.*s\n", static_cast<int>(what.size()), what.data());
    finish(kExitError);
  }
  /// A push arrived: print it, count it.
  void push(std::string_view json) {
    if (done_) return;
    print_line(json);
    ++received_;
    if (o_.count > 0 && received_ >= o_.count) finish(0);
  }

  // ---- ws -----------------------------------------------------------------------------------
  // Per-channel resume points from --since (plain or multi-channel form); false when bad.
  bool read_since(std::vector<base::Cursor>* out) {
    out->assign(o_.channels.size(), base::Cursor{});
    if (o_.since.empty()) return true;
    auto cursors = proto::decode_any_cursor(o_.since, o_.channels);
    if (!cursors.ok()) return false;
    for (auto& [ch, c] : cursors.value()) {
      for (size_t i = 0; i < o_.channels.size(); ++i) {
        if (o_.channels[i] == ch) (*out)[i] = c;
      }
    }
    return true;
  }

  void start_ws() {
    std::vector<base::Cursor> since;
    if (!read_since(&since)) return error("bad --since cursor");
    since_.assign(o_.channels.size(), std::string());
    for (size_t i = 0; i < since.size(); ++i)
      if (!since[i].epoch.empty()) since_[i] = proto::format_cursor(since[i]);
    WsClient::Callbacks cb;
    cb.on_open = [this] { subscribe_all(); };
    cb.on_text = [this](std::string_view text) { on_ws_text(text); };
    cb.on_binary = [this](std::string_view frame) { on_ws_binary(frame); };
    cb.on_close = [this](uint16_t code, std::string_view reason) {
      error("connection closed: " + std::to_string(code) + " " + std::string(reason));
    };
    ws_ = std::make_unique<WsClient>(loop_, std::move(cb));
    if (tls_) ws_->use_tls(tls_, url_.host);
    bool ws_url = url_.scheme == "ws" || url_.scheme == "wss";
    std::string path = ws_url && url_.path != "/" ? url_.path : "/ws";
    if (!o_.token.empty())
      path.append(path.find('?') == std::string::npos ? "?" : "&")
          .append("token=")
          .append(query_escape(o_.token));
    if (std::error_code ec = ws_->connect(addr_, url_.authority(), path)) {
      error("connect: " + ec.message());
    }
  }

  void subscribe_all() {
    std::string frame;
    for (size_t i = 0; i < o_.channels.size(); ++i) {
      frame = "{\"id\":";
      proto::append_uint(frame, i + 1);
      frame += ",\"op\":\"subscribe\",\"channel\":";
      proto::append_json_string(frame, o_.channels[i]);
      if (!since_[i].empty()) {
        frame += ",\"since\":";
        proto::append_json_string(frame, since_[i]);
      }
      frame += '}';
      ws_->send_text(frame);
    }
  }

  void on_ws_text(std::string_view text) {
    if (!proto::parse_server_message(text, &msg_)) return error("bad frame from server");
    switch (msg_.kind) {
      case proto::ServerMessageKind::reply: {
        if (!msg_.has_id || msg_.id < 1 || msg_.id > o_.channels.size()) return;
        std::string line = "{\"event\":\"subscribed\",\"channel\":";
        proto::append_json_string(line, o_.channels[msg_.id - 1]);
        // The result object is {"cursor":...[,"recovered":B]}: splice its members in.
        if (msg_.payload.size() > 2)
          line.append(",").append(msg_.payload.substr(1));
        else
          line += '}';
        print_line(line);
        return;
      }
      case proto::ServerMessageKind::error: {
        std::string what = "server error";
        if (msg_.has_id && msg_.id >= 1 && msg_.id <= o_.channels.size()) {
          what = "subscribe " + o_.channels[msg_.id - 1];
        }
        return error(what + ": " + std::to_string(msg_.error_code) + " " + msg_.error_message);
      }
      case proto::ServerMessageKind::publication:
      case proto::ServerMessageKind::join:
      case proto::ServerMessageKind::leave:
        return push(text);
      case proto::ServerMessageKind::unknown:
        return;
    }
  }

  // A binary publication ({"channel":"c","offset":N} NUL bytes) is printed as SSE and polling
  // carry it, {"channel":"c","offset":N,"b64":"..."}: one JSON line per publication whatever
  // the transport.
  void on_ws_binary(std::string_view frame) {
    size_t nul = frame.find(proto::kBinarySeparator);
    if (nul == std::string_view::npos ||
        !proto::parse_server_message(frame.substr(0, nul), &msg_) || !msg_.has_offset ||
        msg_.channel.empty())
      return error("bad binary frame from server");
    std::string line;
    proto::encode_push_b64(line, msg_.channel, msg_.offset, frame.substr(nul + 1));
    push(line);
  }

  // ---- sse ----------------------------------------------------------------------------------
  void start_sse() {
    std::string target = "/sse?";
    for (const std::string& c : o_.channels) target += "channel=" + query_escape(c) + "&";
    if (!o_.since.empty()) target += "since=" + query_escape(o_.since) + "&";
    if (!o_.token.empty()) target += "token=" + query_escape(o_.token);
    if (target.back() == '&') target.pop_back();
    SseClient::Callbacks cb;
    // The server subscribes every channel before it sends the head: from here on nothing
    // published is missed. The cursor travels as event ids, so there is none to print.
    cb.on_open = [this] {
      for (const std::string& c : o_.channels) {
        std::string line = "{\"event\":\"subscribed\",\"channel\":";
        proto::append_json_string(line, c);
        line += '}';
        print_line(line);
      }
    };
    cb.on_event = [this](const proto::SseEvent& e) {
      if (e.type == "message") return push(e.data);
      if (e.type == "recovery" && !e.data.empty() && e.data.front() == '{') {
        std::string line = "{\"event\":\"recovery\",";
        line.append(e.data.substr(1));
        print_line(line);
        return;
      }
      if (e.type == "reconnect") return error("server asked to reconnect (draining)");
    };
    cb.on_close = [this](int status, std::string_view err) {
      error(err.empty() ? std::string("stream ended by the server") : std::string(err));
    };
    sse_ = std::make_unique<SseClient>(loop_, std::move(cb));
    if (tls_) sse_->use_tls(tls_, url_.host);
    if (std::error_code ec = sse_->connect(addr_, url_.authority(), target)) {
      error("connect: " + ec.message());
    }
  }

  // ---- udp ----------------------------------------------------------------------------------
  // Datagrams to the same port number as HTTP; the lines printed are those of ws (subscribed
  // with the cursor, pushes) and, for what history no longer holds, a recovery line as SSE's.
  void start_udp() {
    std::vector<base::Cursor> since;
    if (!read_since(&since)) return error("bad --since cursor");
    std::vector<udp_codec::ClientSession::Channel> chans;
    for (size_t i = 0; i < o_.channels.size(); ++i)
      chans.push_back({o_.channels[i], since[i].epoch, since[i].offset});
    UdpClient::Callbacks cb;
    cb.on_subscribed = [this](size_t i, std::string_view epoch, uint64_t offset, uint8_t flags) {
      std::string line = "{\"event\":\"subscribed\",\"channel\":";
      proto::append_json_string(line, o_.channels[i]);
      line += ",\"cursor\":";
      proto::append_json_string(line, std::string(epoch) + ":" + std::to_string(offset));
      if (flags & udp_codec::kFlagHadSince)
        line +=
            (flags & udp_codec::kFlagRecovered) ? ",\"recovered\":true" : ",\"recovered\":false";
      line += '}';
      print_line(line);
    };
    cb.on_publication = [this](size_t, uint64_t, std::string_view p) { push(p); };
    cb.on_lost = [this](size_t i, std::string_view epoch, uint64_t through, uint64_t count) {
      std::string line = "{\"event\":\"recovery\",\"channel\":";
      proto::append_json_string(line, o_.channels[i]);
      line += ",\"recovered\":false,\"cursor\":";
      proto::append_json_string(line, std::string(epoch) + ":" + std::to_string(through));
      line += ",\"lost\":";
      proto::append_uint(line, count);
      line += '}';
      print_line(line);
    };
    cb.on_error = [this](size_t i, uint16_t code, std::string_view message) {
      std::string what = i < o_.channels.size() ? "subscribe " + o_.channels[i] : "udp";
      error(what + ": " + std::to_string(code) + " " + std::string(message));
    };
    udp_ = std::make_unique<UdpClient>(loop_, addr_, url_.authority(), std::move(chans), o_.token,
                                       std::move(cb));
    if (std::error_code ec = udp_->start()) error("udp socket: " + ec.message());
  }

  // ---- poll / longpoll ----------------------------------------------------------------------
  void start_poll(uint32_t wait_sec) {
    http_ = std::make_unique<HttpClient>(loop_, addr_, url_.authority());
    if (tls_) http_->use_tls(tls_, url_.host);
    Poller::Options po;
    po.channels = o_.channels;
    po.since = o_.since;
    po.wait_sec = wait_sec;
    po.interval_ms = static_cast<uint32_t>(o_.poll_interval_ms);
    po.token = o_.token;
    Poller::Callbacks cb;
    cb.on_response = [this](const PollResponse& r) { on_poll(r); };
    cb.on_error = [this](std::string_view why) { error(why); };
    poller_ = std::make_unique<Poller>(loop_, *http_, std::move(po), std::move(cb));
    poller_->start();
  }

  void on_poll(const PollResponse& r) {
    if (first_poll_ || !r.recovered) {
      std::string line = first_poll_ ? "{\"event\":\"subscribed\",\"cursor\":"
                                     : "{\"event\":\"recovery\",\"cursor\":";
      proto::append_json_string(line, r.cursor);
      if (!r.recovered) {
        line += ",\"recovered\":false,\"unrecovered\":[";
        for (size_t i = 0; i < r.unrecovered.size(); ++i) {
          if (i) line += ',';
          proto::append_json_string(line, r.unrecovered[i]);
        }
        line += ']';
      }
      line += '}';
      print_line(line);
      first_poll_ = false;
    }
    for (const std::string& m : r.messages) {
      if (done_) break;
      push(m);
    }
    if (done_) poller_->stop();
  }

  const SubOptions& o_;
  const Url& url_;
  net::Address addr_;
  std::shared_ptr<const tls::Context> tls_;  // https / wss
  loop::Loop loop_;
  loop::Timer timeout_;
  int rc_ = 0;
  int received_ = 0;
  bool done_ = false;
  bool first_poll_ = true;
  std::vector<std::string> since_;
  proto::ServerMessage msg_;
  std::unique_ptr<WsClient> ws_;
  std::unique_ptr<SseClient> sse_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<UdpClient> udp_;
};

}  // namespace

int run_sub(const SubOptions& o) {
  if (o.channels.empty()) {
    std::fputs("herald sub: at least one CHANNEL is required\n", stderr);
    return kExitUsage;
  }
  if (o.transport != "ws" && o.transport != "sse" && o.transport != "longpoll" &&
      o.transport != "poll" && o.transport != "udp") {
    std::fprintf(stderr, "herald sub: unknown --transport \"%s\" (ws, sse, longpoll, poll, udp)\n",
                 o.transport.c_str());
    return kExitUsage;
  }
  auto url = parse_url(o.url);
  if (!url.ok()) {
    std::fprintf(stderr, "herald sub: bad --url \"%s\" (expected http[s]://HOST:PORT)\n",
                 o.url.c_str());
    return kExitUsage;
  }
  auto addr = url->address();
  if (!addr.ok()) {
    std::fprintf(stderr, "herald sub: bad address \"%s\" (numeric host or localhost)\n",
                 url->authority().c_str());
    return kExitUsage;
  }
  if (o.transport == "udp") {
    // A datagram with a malformed name is dropped by the server without an answer: say so here.
    for (const std::string& c : o.channels) {
      if (!base::valid_channel(c)) {
        std::fprintf(stderr, "herald sub: bad channel name \"%s\"\n", c.c_str());
        return kExitError;
      }
    }
  }
  if (o.transport == "udp" && (url->scheme == "https" || url->scheme == "wss")) {
    std::fputs("herald sub: udp datagrams ride on the plain (http://) listener, not on TLS\n",
               stderr);
    return kExitUsage;
  }
  std::string why;
  auto tls = client_tls(url.value(), o.cacert, why);
  if (!tls.ok()) {
    std::fprintf(stderr, "herald sub: %s\n", why.c_str());
    return kExitUsage;
  }
  SubOptions with_token = o;
  if (with_token.token.empty()) {
    if (const char* env = std::getenv("HERALD_TOKEN")) with_token.token = env;
  }
  Session s(with_token, url.value(), addr.value(), tls.value());
  return s.run();
}

}  // namespace herald::cli
