#include "hook/client.h"

#include <algorithm>
#include <utility>

#include "base/limits.h"
#include "http_codec/response_parser.h"
#include "loop/timer.h"
#include "net/connection.h"
#include "net/listener.h"

namespace herald::hook {

namespace {

// What a hook connection buffers: one answer's head and body, with room for chunk framing.
constexpr size_t kMaxInput =
    base::limits::kMaxHookResponseBytes + base::limits::kMaxHeaderBytes + 4096;

access::HookReply failure(access::HookReply::Failure f) {
  access::HookReply r;
  r.failure = f;
  return r;
}

}  // namespace

base::Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return base::Errc::bad_request;
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return base::Errc::bad_request;
  Url u;
  u.authority = std::string(authority);
  // A port is what follows the last ':' outside an IPv6 literal's brackets.
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string host_port = u.authority;
  if (!has_port) host_port += ":80";
  auto addr = net::Address::parse(host_port);
  if (!addr.ok() || addr.value().port() == 0) return base::Errc::bad_request;
  u.address = addr.value();
  u.path = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
  if (u.path[0] == '?') u.path.insert(0, "/");
  for (char c : u.path)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return base::Errc::bad_request;
  return u;
}

// One request: waiting for a connection, sent, or waiting for its answer.
struct Client::Request {
  std::string authority;
  net::Address address;
  std::string wire;  // the serialised HTTP request
  bool retry_safe = false;
  bool retried = false;
  Done done;
  loop::Timer timer;
  Handler* handler = nullptr;  // the connection carrying it
};

// One pooled connection to a backend: carries one request at a time.
class Client::Handler final : public net::ConnectionHandler {
 public:
  Handler(Client* owner, std::string authority)
      : owner_(owner), authority_(std::move(authority)), parser_(limits()) {}

  static http::ResponseLimits limits() {
    http::ResponseLimits l;
    l.max_body = base::limits::kMaxHookResponseBytes;
    return l;
  }

  void on_data(net::Connection& c) override {
    if (!owner_ || request_ == 0) {
      c.abort();  // bytes nobody asked for: the connection is out of step
      return;
    }
    got_bytes_ = true;
    http::ResponseParseResult r = parser_.parse(c.input().readable());
    if (r.status == http::ResponseStatus::need_more) return;
    if (r.status != http::ResponseStatus::complete) {
      c.abort();
      return;
    }
    deliver(c, r.consumed);
  }

  void on_eof(net::Connection& c) override {
    // An answer whose body runs until the close is complete now; anything else is cut short.
    if (owner_ && request_ != 0 && parser_.in_progress()) {
      http::ResponseParseResult r = parser_.finish(c.input().readable());
      if (r.status == http::ResponseStatus::complete) {
        keep_alive_override_ = false;
        deliver(c, r.consumed);
      }
    }
    c.close();
  }

  void on_close(net::Connection&, std::error_code) override {
    if (owner_) owner_->closed(this);
  }

  void deliver(net::Connection& c, size_t consumed) {
    const http::Response& res = parser_.response();
    access::HookReply reply;
    reply.status = res.status;
    reply.body = res.body;
    bool keep = res.keep_alive && keep_alive_override_;
    c.consume(consumed);
    parser_.reset();
    owner_->answered(this, std::move(reply), keep);
  }

  // Hands the connection request `id` (its bytes are sent by the caller).
  void carry(uint64_t id, bool reused) {
    request_ = id;
    reused_ = reused;
    got_bytes_ = false;
  }

  Client* owner_;
  std::string authority_;
  net::Connection* conn_ = nullptr;
  uint64_t request_ = 0;  // 0: idle
  bool reused_ = false;   // the request went out on a connection that had answered before
  bool got_bytes_ = false;
  bool keep_alive_override_ = true;
  http::ResponseParser parser_;
};

Client::Client(loop::Loop& loop, const base::Settings* settings)
    : loop_(loop), settings_(settings) {}

Client::~Client() {
  std::vector<Handler*> all(handlers_.begin(), handlers_.end());
  for (Handler* h : all) {
    h->owner_ = nullptr;
    h->conn_->abort();
  }
}

void Client::set_settings(const base::Settings* s) {
  settings_ = s;
  urls_.clear();  // the URLs may have changed
}

size_t Client::idle_connections() const {
  size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

void Client::later(std::function<void()> fn) {
  loop_.defer([alive = std::weak_ptr<char>(alive_), fn = std::move(fn)] {
    if (alive.lock()) fn();
  });
}

void Client::post(std::string_view url_text, std::string body, bool retry_safe, Done done) {
  auto it = urls_.find(std::string(url_text));
  if (it == urls_.end()) {
    auto u = parse_url(url_text);
    if (!u.ok()) {
      later([done = std::move(done)] { done(failure(access::HookReply::Failure::error)); });
      return;
    }
    it = urls_.emplace(std::string(url_text), std::move(u.value())).first;
  }
  if (requests_.size() >= settings_->auth_hook_max_inflight) {
    later([done = std::move(done)] { done(failure(access::HookReply::Failure::overload)); });
    return;
  }
  const Url& u = it->second;
  uint64_t id = ++next_id_;
  auto r = std::make_unique<Request>();
  r->authority = u.authority;
  r->address = u.address;
  r->retry_safe = retry_safe;
  r->done = std::move(done);
  r->wire.reserve(body.size() + 160);
  r->wire += "POST ";
  r->wire += u.path;
  r->wire += " HTTP/1.1\r\nHost: ";
  r->wire += u.authority;
  r->wire += "\r\nContent-Type: application/json\r\nUser-Agent: herald\r\nContent-Length: ";
  r->wire += std::to_string(body.size());
  r->wire += "\r\n\r\n";
  r->wire += body;
  r->timer.start(loop_.timers(), settings_->auth_hook_timeout_ms,
                 [this, id] { finish(id, failure(access::HookReply::Failure::timeout)); });
  requests_.emplace(id, std::move(r));
  // Started in this iteration, after the caller returns: post() never calls back.
  later([this, id] { start(id, false); });
}

void Client::start(uint64_t id, bool fresh) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  Request& r = *it->second;
  Handler* h = nullptr;
  bool reused = false;
  if (!fresh) {
    auto pool = idle_.find(r.authority);
    while (pool != idle_.end() && !pool->second.empty() && !h) {
      Handler* cand = pool->second.back();
      pool->second.pop_back();
      if (!cand->conn_->closing()) h = cand;
    }
    reused = h != nullptr;
  }
  if (!h) {
    auto fd = net::connect_tcp(r.address);
    if (!fd.ok()) return finish(id, failure(access::HookReply::Failure::error));
    auto* conn = new net::Connection(loop_, fd.value(), r.address, kMaxInput);
    auto handler = std::make_unique<Handler>(this, r.authority);
    h = handler.get();
    h->conn_ = conn;
    handlers_.insert(h);
    conn->start(std::move(handler), /*connecting=*/true);
  }
  h->carry(id, reused);
  r.handler = h;
  h->conn_->send(r.wire);
}

void Client::finish(uint64_t id, access::HookReply reply) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  std::unique_ptr<Request> r = std::move(it->second);
  requests_.erase(it);
  r->timer.stop();
  if (Handler* h = r->handler) {
    // Still on its connection (a timeout): the answer may yet come, so the connection is out
    // of step and cannot carry another request.
    h->request_ = 0;
    h->conn_->abort();
  }
  Done done = std::move(r->done);
  done(std::move(reply));
}

void Client::answered(Handler* h, access::HookReply reply, bool keep_alive) {
  uint64_t id = h->request_;
  h->request_ = 0;
  if (auto it = requests_.find(id); it != requests_.end()) it->second->handler = nullptr;
  std::vector<Handler*>& pool = idle_[h->authority_];
  if (keep_alive && !h->conn_->closing() && pool.size() < settings_->auth_hook_max_inflight)
    pool.push_back(h);
  else
    h->conn_->close();
  finish(id, std::move(reply));
}

void Client::closed(Handler* h) {
  handlers_.erase(h);
  if (auto pool = idle_.find(h->authority_); pool != idle_.end()) std::erase(pool->second, h);
  uint64_t id = h->request_;
  if (id == 0) return;
  h->request_ = 0;
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  Request& r = *it->second;
  r.handler = nullptr;
  // A pooled connection the backend closed before our request reached it looks just like
  // this: nothing came back. A request that may be repeated goes once more on a new one.
  if (r.retry_safe && h->reused_ && !h->got_bytes_ && !r.retried) {
    r.retried = true;
    return start(id, true);
  }
  finish(id, failure(access::HookReply::Failure::error));
}

}  // namespace herald::hook
