#pragma once
// Every limit in one place (STYLE: "named limits in one header"). These are the defaults;
// the ones a user may change are config keys (docs/design.md lists them) and travel in
// server::Config. Codecs take their limits as arguments so that tests can cross them.
#include <cstddef>
#include <cstdint>

namespace herald::base::limits {

// HTTP/1.1
inline constexpr size_t kMaxRequestLine = 8 * 1024;      // longer URI -> 414
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;     // request line + headers -> 431
inline constexpr size_t kMaxHeaderCount = 100;           // -> 431
inline constexpr size_t kMaxBodyBytes = 1024 * 1024;     // -> 413
inline constexpr uint32_t kHeaderTimeoutMs = 10'000;     // slowloris -> 408 and close
inline constexpr uint32_t kKeepAliveTimeoutMs = 60'000;  // idle keep-alive -> close
inline constexpr size_t kMaxPipelinedResponses = 64;     // outstanding per connection, then pause

// Connections
inline constexpr size_t kInputBufferBytes = 64 * 1024;      // initial read buffer
inline constexpr size_t kMaxOutputBytes = 4 * 1024 * 1024;  // pending output before eviction
inline constexpr size_t kMaxConnections = 18'000;           // per process (fd limit is 20,000)

// TLS
inline constexpr uint32_t kTlsHandshakeTimeoutMs = 10'000;  // unfinished handshake -> closed

// WebSocket
inline constexpr size_t kMaxWsMessage = 1024 * 1024;  // -> close 1009
inline constexpr size_t kMaxWsFrameHeader = 14;
inline constexpr uint32_t kWsPingIntervalMs = 25'000;
inline constexpr uint32_t kWsPongTimeoutMs = 10'000;  // -> close 4010

// Channels and hub
inline constexpr size_t kMaxChannelName = 255;
inline constexpr size_t kMaxSubscriptionsPerConnection = 128;
inline constexpr size_t kDefaultHistorySize = 100;
inline constexpr uint32_t kDefaultHistoryTtlSec = 300;
inline constexpr size_t kMaxChannelsPerPoll = 64;

// Access (tokens, backend hooks)
inline constexpr uint32_t kHookTimeoutMs = 3'000;  // backend hook answer -> 503 / close 4002
inline constexpr uint32_t kHookMaxInflight = 64;   // concurrent hook requests per loop
inline constexpr size_t kMaxHookResponseBytes = 64 * 1024;
inline constexpr size_t kMaxInfoBytes = 4 * 1024;  // presence info of one client

// Redis engine (cluster mode)
inline constexpr uint32_t kRedisTimeoutMs = 1'000;  // unanswered command -> unavailable (503)
inline constexpr size_t kRedisPoolSize = 1;         // command links per loop and server

// SSE / poll
inline constexpr uint32_t kSseHeartbeatMs = 15'000;
inline constexpr uint32_t kSseRetryMs = 2'000;
inline constexpr uint32_t kMaxLongPollWaitSec = 120;

// UDP datagrams (docs/protocol.md, "UDP datagrams")
inline constexpr size_t kUdpMaxDatagram = 1200;      // longer requests are dropped; longer
                                                     // publications are announced by offset
inline constexpr uint32_t kUdpLeaseMs = 30'000;      // a lease not renewed this long is dropped
inline constexpr size_t kUdpMaxLeases = 100'000;     // per process
inline constexpr size_t kUdpMaxLeasesPerIp = 1'000;  // per client IP address
inline constexpr size_t kUdpRecvBatch = 32;          // datagrams per recvmmsg
inline constexpr size_t kUdpReadBatchesPerWake = 8;  // recvmmsg calls per readiness, then yield
inline constexpr size_t kUdpSendBatch = 64;          // datagrams per sendmmsg
inline constexpr size_t kUdpMaxQueued = 65'536;      // datagrams waiting per loop; more are dropped
inline constexpr int kUdpSocketBuffer = 4 * 1024 * 1024;  // SO_SNDBUF / SO_RCVBUF asked for
inline constexpr uint32_t kUdpSweepMs = 250;              // how often expired leases are looked for

// Access tokens (JWT). A token travels in a query string, a header or a WebSocket frame, so
// it is bounded before any decoding; the decoded parts are bounded again on their own.
inline constexpr size_t kMaxTokenBytes = 8 * 1024;         // the compact form -> too_large
inline constexpr size_t kMaxTokenHeaderBytes = 1024;       // decoded JOSE header JSON
inline constexpr size_t kMaxTokenPayloadBytes = 5 * 1024;  // decoded claims JSON (fits the above)
inline constexpr int64_t kMaxTokenLeewaySec = 3600;        // clock skew tolerated on exp/nbf
inline constexpr size_t kMinHmacSecretBytes = 32;          // RFC 7518 3.2: >= the HS256 hash
inline constexpr int kMinRsaKeyBits = 2048;                // RFC 7518 3.3
inline constexpr int kMaxRsaKeyBits = 16384;               // verification cost is bounded
inline constexpr size_t kMaxKeyFileBytes = 1024 * 1024;    // PEM, JWKS or secret file
inline constexpr size_t kMaxJwksKeys = 100;                // keys in one JWKS

}  // namespace herald::base::limits
