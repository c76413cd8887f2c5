#pragma once
// Who a client is, as the access layer established it once per connection (WebSocket, SSE)
// or per request (poll, HTTP API): from a JWT connection token, a connect hook's answer, the
// HTTP API key, or nobody (anonymous). Immutable once made: sessions share it by pointer, and
// a token refresh replaces the pointer.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::access {

enum class Source : uint8_t {
  anonymous,  // no credentials
  token,      // a verified JWT
  hook,       // the backend's connect hook answered with an identity
  api_key,    // the HTTP API key (or an API without a key): may do everything
};

// How many IdentityPtrs hold an identity. A copied identity is a new object: its count
// starts at zero.
class RefCount {
 public:
  RefCount() = default;
  RefCount(const RefCount&) {}
  RefCount& operator=(const RefCount&) { return *this; }

 private:
  friend class IdentityPtr;
  mutable std::atomic<uint32_t> n_{0};
};

struct Identity {
  Source source = Source::anonymous;
  std::string user;        // "sub" / the hook's user; "" for an authenticated client without a user
  std::string info;        // minified JSON object shown in presence, or ""
  int64_t expires_at = 0;  // unix seconds; 0: never
  std::vector<std::string> channels;  // subscribe grants (jwt/grants.h)
  std::vector<std::string> publish;   // publish grants

  bool admin() const { return source == Source::api_key; }
  bool authenticated() const { return source != Source::anonymous; }

  RefCount refs;  // for IdentityPtr
};

/// A shared, immutable identity; null means anonymous. The count lives in the Identity, so
/// the pointer is 8 bytes where a shared_ptr took 16 (every WebSocket and SSE session holds
/// one). Atomic: an identity may be released on another loop than the one that made it.
class IdentityPtr {
 public:
  IdentityPtr() = default;
  IdentityPtr(std::nullptr_t) {}  // NOLINT: as a null shared_ptr converts
  /// Shares a new identity (filled in, never changed again).
  explicit IdentityPtr(std::unique_ptr<Identity> id) : p_(id.release()) { retain(); }
  IdentityPtr(const IdentityPtr& o) : p_(o.p_) { retain(); }
  IdentityPtr(IdentityPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  IdentityPtr& operator=(IdentityPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~IdentityPtr() {
    if (p_ && p_->refs.n_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p_;
  }

  const Identity* get() const { return p_; }
  const Identity* operator->() const { return p_; }
  const Identity& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(std::nullptr_t) const { return p_ == nullptr; }

 private:
  void retain() {
    if (p_) p_->refs.n_.fetch_add(1, std::memory_order_relaxed);
  }
  const Identity* p_ = nullptr;
};

/// The identity of the HTTP API key (also of API requests when no key is configured).
const IdentityPtr& admin_identity();

/// A connection's client id, unique within the process: "c<loop>-<n>", n counting that
/// loop's connections from 1 (presence, join/leave, connect replies, hooks, logs). Kept as the
/// two numbers in 8 bytes (every WebSocket and SSE session holds one; a string was 32) and
/// spelled when asked, which is once per connection or on an operator's request.
class ClientId {
 public:
  /// No id: a client that lasts one request (HTTP API, poll).
  ClientId() = default;
  /// A new id. Call on the loop `loop_index` (0..65535): the counter is per loop thread.
  static ClientId next(int loop_index);
  bool empty() const { return bits_ == 0; }
  /// "c0-17"; "" when empty().
  std::string text() const;
  /// The id `text` spells (as text() would), or nullopt.
  static std::optional<ClientId> parse(std::string_view text);
  bool operator==(const ClientId&) const = default;

 private:
  explicit ClientId(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = 0;  // the loop index in the top 16 bits, n in the 48 below
};

}  // namespace herald::access
