#include "tools/cli/udp_client.h"

#include <random>

#include "base/time.h"
#include "proto/binary.h"
#include "proto/json.h"
#include "tools/cli/url.h"

namespace herald::cli {

namespace {

// Datagrams one recvmmsg takes.
constexpr size_t kRecvSlots = 16;

uint64_t random_session() {
  std::random_device rd;
  return ((uint64_t(rd()) << 32) | rd()) | 1;  // never 0
}

}  // namespace

UdpClient::UdpClient(loop::Loop& loop, const net::Address& server, std::string authority,
                     std::vector<udp_codec::ClientSession::Channel> channels, std::string token,
                     Callbacks callbacks)
    : loop_(loop),
      server_(server),
      http_(loop, server, std::move(authority)),
      session_(random_session(), std::move(token), std::move(channels), *this),
      cb_(std::move(callbacks)),
      rx_(kRecvSlots, udp_codec::kMaxDatagramBytes) {}

UdpClient::~UdpClient() {
  close();
}

std::error_code UdpClient::start() {
  auto s = net::UdpSocket::connect(server_, kUdpBufferBytes);
  if (!s.ok()) return s.error();
  sock_ = std::move(s.value());
  loop_.add(sock_.fd(), EPOLLIN, this);
  registered_ = true;
  session_.start(base::monotonic_ms());
  timer_.start(loop_.timers(), kUdpTickMs, [this] { tick(); });
  return {};
}

void UdpClient::close() {
  timer_.stop();
  if (!sock_.is_open()) return;
  session_.close();
  if (registered_) loop_.remove(sock_.fd());
  registered_ = false;
  sock_.close();
}

void UdpClient::tick() {
  session_.tick(base::monotonic_ms());
  if (sock_.is_open()) timer_.restart(kUdpTickMs);
}

void UdpClient::on_io(uint32_t) {
  while (sock_.is_open()) {
    size_t n = rx_.recv(sock_.fd());
    if (n == 0) return;
    uint64_t now = base::monotonic_ms();
    for (size_t i = 0; i < n && sock_.is_open(); ++i)
      if (!rx_[i].truncated) session_.on_datagram(rx_[i].bytes, now);
  }
}

void UdpClient::send(std::string_view datagram) {
  // A refused send is a lost datagram: the session asks again on its timers.
  if (sock_.is_open()) sock_.send(datagram);
}

void UdpClient::on_subscribed(size_t index, std::string_view epoch, uint64_t offset,
                              uint8_t flags) {
  if (cb_.on_subscribed) cb_.on_subscribed(index, epoch, offset, flags);
}

void UdpClient::on_publication(size_t index, std::string_view, uint64_t offset,
                               std::string_view data, bool) {
  push_ = "{\"channel\":";
  proto::append_json_string(push_, session_.channel_name(index));
  push_ += ",\"offset\":";
  proto::append_uint(push_, offset);
  push_ += ",\"data\":";
  push_.append(data);
  push_ += '}';
  if (cb_.on_publication) cb_.on_publication(index, offset, push_);
}

void UdpClient::on_binary_publication(size_t index, std::string_view, uint64_t offset,
                                      std::string_view bytes, bool) {
  push_.clear();
  proto::encode_push_b64(push_, session_.channel_name(index), offset, bytes);
  if (cb_.on_publication) cb_.on_publication(index, offset, push_);
}

void UdpClient::on_announce(size_t index, std::string_view epoch, uint64_t offset, uint32_t, bool) {
  fetch(index, std::string(epoch), offset);
}

// GET /poll?channel=C&since=EPOCH:OFFSET-1 answers the announced publication first (and what
// followed, which comes by datagram too: only the one asked for is taken).
void UdpClient::fetch(size_t index, std::string epoch, uint64_t offset) {
  std::string target = "/poll?channel=" + query_escape(session_.channel_name(index)) +
                       "&since=" + query_escape(epoch + ":" + std::to_string(offset - 1));
  http_.request("GET", target, {}, [this, index, offset, epoch](const HttpResult& r) {
    if (r.error || !r.res || r.res->status != 200) {
      std::string why =
          r.error ? std::string(r.error_text) : "HTTP " + std::to_string(r.res ? r.res->status : 0);
      if (cb_.on_error) cb_.on_error(index, 0, "fetch of an announced publication: " + why);
      return;
    }
    proto::PollResponse pr;
    std::string err;
    proto::ServerMessage m;
    if (proto::parse_poll_response(r.res->body, &pr, &err)) {
      for (const std::string& push : pr.messages) {
        if (!proto::parse_server_message(push, &m) || !m.has_offset || m.offset != offset) continue;
        if (cb_.on_publication) cb_.on_publication(index, offset, push);
        return;
      }
    }
    // History moved past it between the announce and the fetch.
    if (cb_.on_lost) cb_.on_lost(index, epoch, offset, 1);
  });
}

void UdpClient::on_lost(size_t index, std::string_view epoch, uint64_t, uint64_t through,
                        uint64_t count) {
  if (cb_.on_lost) cb_.on_lost(index, epoch, through, count);
}

void UdpClient::on_error(size_t index, uint16_t code, std::string_view message) {
  if (cb_.on_error) cb_.on_error(index, code, message);
}

}  // namespace herald::cli
