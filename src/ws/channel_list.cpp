#include "ws/channel_list.h"

#include "base/limits.h"

namespace herald::ws {

// Every valid channel name fits (one length byte).
static_assert(ChannelList::kMaxName == base::limits::kMaxChannelName);

size_t ChannelList::find(std::string_view name) const {
  for (size_t at = 0; at < packed_.size();) {
    size_t len = static_cast<unsigned char>(packed_[at]);
    if (std::string_view(packed_).substr(at + 1, len) == name) return at;
    at += 1 + len;
  }
  return std::string::npos;
}

bool ChannelList::contains(std::string_view name) const {
  return find(name) != std::string::npos;
}

size_t ChannelList::size() const {
  size_t n = 0;
  for (size_t at = 0; at < packed_.size(); at += 1 + static_cast<unsigned char>(packed_[at])) ++n;
  return n;
}

void ChannelList::add(std::string_view name) {
  packed_ += static_cast<char>(static_cast<unsigned char>(name.size()));
  packed_ += name;
}

void ChannelList::remove(std::string_view name) {
  size_t at = find(name);
  if (at == std::string::npos) return;
  packed_.erase(at, 1 + name.size());
  if (packed_.empty()) clear();
}

}  // namespace herald::ws
