#include "tools/cli/client.h"

#include <utility>

#include "net/listener.h"
#include "tls/session.h"

namespace herald::cli {

// Forwards a connection's events to its ClientSocket while attached. The connection owns this
// handler; detaching clears the back pointer, so a closing connection that outlives its owner
// (it is deleted at the end of the iteration) calls nobody.
class ClientSocket::Handler final : public net::ConnectionHandler {
 public:
  explicit Handler(ClientSocket* owner) : owner_(owner) {}
  void detach() { owner_ = nullptr; }

  void on_data(net::Connection& c) override {
    if (owner_) owner_->events_.on_data(c);
  }
  void on_eof(net::Connection& c) override {
    if (owner_) {
      owner_->events_.on_eof(c);
    } else {
      c.close();
    }
  }
  void on_connected(net::Connection& c) override {
    if (!owner_) return;
    owner_->connected_ = true;
    owner_->events_.on_connected();
  }
  void on_close(net::Connection& c, std::error_code ec) override {
    ClientSocket* o = owner_;
    if (!o) return;
    owner_ = nullptr;
    o->conn_ = nullptr;
    o->handler_ = nullptr;
    o->connected_ = false;
    o->events_.on_closed(ec);
  }

 private:
  ClientSocket* owner_;
};

ClientSocket::ClientSocket(loop::Loop& loop, SocketEvents& events) : loop_(loop), events_(events) {}

ClientSocket::~ClientSocket() {
  abort();
  closing_.for_each([](net::Connection& c) { c.abort(); });
}

void ClientSocket::use_tls(std::shared_ptr<const tls::Context> ctx, std::string host) {
  tls_ = std::move(ctx);
  tls_host_ = std::move(host);
}

std::error_code ClientSocket::connect(const net::Address& addr, size_t max_input) {
  abort();
  std::unique_ptr<tls::Session> session;
  if (tls_) {
    session = tls::Session::connect(*tls_, tls_host_);
    if (!session) return std::make_error_code(std::errc::not_enough_memory);
  }
  auto fd = net::connect_tcp(addr);
  if (!fd.ok()) return fd.error();
  conn_ = new net::Connection(loop_, fd.value(), addr, max_input);
  if (session) conn_->use_tls(std::move(session), net::TlsOptions{});
  auto handler = std::make_unique<Handler>(this);
  handler_ = handler.get();
  connected_ = false;
  conn_->start(std::move(handler), /*connecting=*/true);
  return {};
}

net::Connection* ClientSocket::detach() {
  net::Connection* c = conn_;
  handler_->detach();
  conn_ = nullptr;
  handler_ = nullptr;
  connected_ = false;
  return c;
}

void ClientSocket::close() {
  if (!conn_) return;
  net::Connection* c = detach();
  c->close();
  if (!c->closed()) closing_.insert(c);
}

void ClientSocket::abort() {
  if (!conn_) return;
  detach()->abort();
}

// ---- HttpClient -----------------------------------------------------------------------------

HttpClient::HttpClient(loop::Loop& loop, const net::Address& addr, std::string authority,
                       http::ResponseLimits limits)
    : loop_(loop),
      addr_(addr),
      authority_(std::move(authority)),
      socket_(loop, *this),
      parser_(limits) {}

HttpClient::~HttpClient() = default;

void HttpClient::request(std::string_view method, std::string_view target, std::string_view body,
                         ResponseFn fn, std::string_view content_type,
                         std::span<const http::Header> headers) {
  if (!socket_.conn()) {
    parser_.reset();
    if (std::error_code ec = socket_.connect(addr_)) {
      // Answer from the loop, never from inside request(): callers may hold state here.
      loop_.defer([fn = std::move(fn), ec] {
        HttpResult r;
        r.error = ec;
        r.error_text = "connect failed";
        fn(r);
      });
      return;
    }
  }
  std::string& out = scratch_;
  out.clear();
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  out.append(authority_).append("\r\n");
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  for (const http::Header& h : headers) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("\r\n").append(body);
  socket_.conn()->send(out);
  pending_.push_back(Pending{std::move(fn), method == "HEAD"});
}

void HttpClient::close() {
  socket_.close();
  fail_all(base::Errc::closed, "client closed");
}

void HttpClient::fail_all(std::error_code ec, std::string_view why) {
  // Callbacks may issue new requests (on a new connection): take the queue out first.
  std::deque<Pending> failed = std::move(pending_);
  pending_.clear();
  HttpResult r;
  r.error = ec;
  r.error_text = why;
  for (Pending& p : failed) p.fn(r);
}

void HttpClient::on_data(net::Connection& conn) {
  drain(conn, false);
}

void HttpClient::on_eof(net::Connection& conn) {
  drain(conn, true);
  if (socket_.conn() != &conn) return;
  socket_.close();
  if (!pending_.empty()) fail_all(base::Errc::closed, "connection closed before the response");
}

void HttpClient::on_closed(std::error_code ec) {
  if (!pending_.empty()) {
    fail_all(ec ? ec : std::error_code(base::Errc::closed),
             ec ? "connection failed" : "connection closed before the response");
  }
}

void HttpClient::drain(net::Connection& conn, bool eof) {
  while (socket_.conn() == &conn) {
    std::string_view in = conn.input().readable();
    http::ResponseMode mode;
    mode.no_body = !pending_.empty() && pending_.front().head;
    if (eof && in.empty() && !parser_.in_progress()) return;  // a clean close between answers
    http::ResponseParseResult r = eof ? parser_.finish(in, mode) : parser_.parse(in, mode);
    if (r.status == http::ResponseStatus::need_more) return;
    if (r.status == http::ResponseStatus::error || pending_.empty()) {
      socket_.abort();
      fail_all(base::Errc::bad_request,
               r.status == http::ResponseStatus::error ? r.error_reason : "unsolicited response");
      return;
    }
    const http::Response& res = parser_.response();
    if (res.status >= 100 && res.status < 200 && res.status != 101) {
      conn.consume(r.consumed);  // an interim answer (100 Continue): the real one follows
      continue;
    }
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    bool keep_alive = res.keep_alive;
    HttpResult result;
    result.res = &res;
    p.fn(result);
    if (socket_.conn() != &conn) return;  // the callback closed the client
    conn.consume(r.consumed);
    if (!keep_alive) {
      socket_.close();
      if (!pending_.empty()) fail_all(base::Errc::closed, "server closed the connection");
      return;
    }
  }
}

}  // namespace herald::cli
