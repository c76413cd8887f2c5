#include "udp/outbox.h"

#include <cstring>

#include "base/limits.h"
#include "udp_codec/datagram.h"

namespace herald::udp {

Outbox::Outbox(base::UdpMetrics& metrics)
    : metrics_(metrics), batch_(base::limits::kUdpSendBatch) {}

bool Outbox::push(const net::Address& to, uint64_t session, base::SharedBuffer dgram) {
  if (size() >= base::limits::kUdpMaxQueued) {
    ++metrics_.send_dropped;
    return false;
  }
  items_.push_back(Item{to, session, std::move(dgram)});
  return true;
}

bool Outbox::flush(int fd) {
  while (!empty()) {
    batch_.clear();
    size_t first = head_;
    for (size_t i = head_; i < items_.size() && !batch_.full(); ++i) {
      const Item& it = items_[i];
      std::string_view d = it.dgram.view();
      char header[udp_codec::kHeaderBytes];
      std::memcpy(header, d.data(), sizeof header);
      udp_codec::stamp_session(header, it.session);
      batch_.add(it.to, {header, sizeof header}, d.substr(sizeof header));
    }
    size_t dropped = 0;
    bool would_block = false;
    size_t reached = batch_.send(fd, &dropped, &would_block);
    for (size_t i = first; i < first + reached; ++i) {
      metrics_.bytes_out += items_[i].dgram.size();
      items_[i].dgram.reset();
    }
    metrics_.datagrams_out += reached - dropped;
    metrics_.send_dropped += dropped;
    head_ += reached;
    if (would_block) {
      // Keep the queue from creeping while the socket stays full: drop the sent prefix.
      if (head_ > items_.size() / 2) {
        items_.erase(items_.begin(), items_.begin() + std::ptrdiff_t(head_));
        head_ = 0;
      }
      return false;
    }
  }
  items_.clear();
  head_ = 0;
  return true;
}

void Outbox::clear() {
  items_.clear();
  head_ = 0;
}

}  // namespace herald::udp
