#include "server/proxy_preamble.h"

#include <netinet/in.h>

#include <cstring>

#include "base/log.h"
#include "http_codec/proxy_protocol.h"
#include "net/address.h"

namespace herald::server {

namespace {

net::Address address_of(const http::ProxyHeader& h) {
  net::Address a;
  if (h.ipv6) {
    a.storage.in6.sin6_family = AF_INET6;
    std::memcpy(&a.storage.in6.sin6_addr, h.source, 16);
    a.storage.in6.sin6_port = htons(h.source_port);
    a.len = sizeof(sockaddr_in6);
  } else {
    a.storage.in4.sin_family = AF_INET;
    std::memcpy(&a.storage.in4.sin_addr, h.source, 4);
    a.storage.in4.sin_port = htons(h.source_port);
    a.len = sizeof(sockaddr_in);
  }
  return a;
}

constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
    "24\r\nConnection: close\r\nRetry-After: 1\r\n\r\nconnection limit reached";

}  // namespace

ProxyPreamble::ProxyPreamble(loop::Loop& loop, uint32_t timeout_ms, Admit admit, Next next)
    : loop_(loop), timeout_ms_(timeout_ms), admit_(std::move(admit)), next_(std::move(next)) {}

void ProxyPreamble::start(net::Connection& conn) {
  net::Connection* c = &conn;
  timer_.start(loop_.timers(), timeout_ms_, [this, c] {
    if (done_) return;
    done_ = true;
    HLOG_INFO("proxy %s: no PROXY protocol header in time; closed", c->peer().to_string().c_str());
    c->abort();
  });
}

void ProxyPreamble::on_data(net::Connection& conn) {
  if (done_) return;
  std::string_view in = conn.input().readable();
  http::ProxyHeader h;
  switch (http::parse_proxy_header(in, &h)) {
    case http::ProxyParse::need_more:
      return;
    case http::ProxyParse::invalid:
      done_ = true;
      timer_.stop();
      HLOG_INFO("proxy %s: invalid PROXY protocol header; closed", conn.peer().to_string().c_str());
      conn.abort();
      return;
    case http::ProxyParse::complete:
      break;
  }
  done_ = true;
  timer_.stop();
  conn.consume(h.length);
  if (h.has_source) {
    conn.set_peer(address_of(h));
    conn.peer_from_proxy_header = true;
  }
  if (!admit_(conn)) {
    conn.send(kBusy);
    conn.close();
    return;
  }
  std::unique_ptr<net::ConnectionHandler> next = next_(conn);
  net::ConnectionHandler* raw = next.get();
  conn.replace_handler(std::move(next));
  if (!conn.input().readable().empty()) raw->on_data(conn);
}

void ProxyPreamble::on_close(net::Connection&, std::error_code) {
  done_ = true;
  timer_.stop();
}

}  // namespace herald::server
