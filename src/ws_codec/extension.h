#pragma once
// permessage-deflate negotiation (RFC 7692 §5, §7.1) over the Sec-WebSocket-Extensions header
// (RFC 6455 §9.1), as a pure function: the client's offers in, the agreed parameters and the
// response header out.
//
// herald's choices (docs/protocol.md, "Handshake"):
//  - The first acceptable permessage-deflate offer wins; other extensions are ignored.
//  - The server always answers server_no_context_takeover (RFC 7692 §7.1.1.1 lets a server add
//    it to any offer): each server message is compressed alone, so one compressed push frame is
//    shared by every subscriber of a loop (hub::WireForm::ws_frame_deflate).
//  - client_no_context_takeover is answered when offered (then the inflater is reset per
//    message); client_max_window_bits=N is echoed when offered with a value (our inflater then
//    needs only a 2^N window), left out when offered bare (the client keeps 15).
//  - server_max_window_bits=N is accepted for 8..15 and echoed. zlib cannot deflate with an
//    8-bit window, so with 8 the extension is agreed but the server sends every message
//    uncompressed (RFC 7692 §6: RSV1 is per message).
//  - An offer with an unknown parameter, a parameter twice, or a bad value is declined
//    (RFC 7692 §7: "MUST decline"), and the next offer is tried. A header that does not follow
//    the grammar of RFC 6455 §9.1 fails the handshake with 400 (RFC 6455 §4.2.1).
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::ws {

/// The extension token.
inline constexpr std::string_view kPermessageDeflate = "permessage-deflate";

/// What the two ends agreed on for permessage-deflate.
struct DeflateParams {
  bool enabled = false;                    // negotiated at all
  bool server_no_context_takeover = true;  // always, see above
  bool client_no_context_takeover = false;
  uint8_t server_max_window_bits = 15;  // the window our deflater may use
  uint8_t client_max_window_bits = 15;  // the window the client's deflater uses
};

struct NegotiationResult {
  enum Outcome : uint8_t {
    none,       // no acceptable offer (or none at all): answer without the header
    accepted,   // `params` and `response_header` are set
    malformed,  // the header breaks the RFC 6455 §9.1 grammar: fail the handshake with 400
  };
  Outcome outcome = none;
  DeflateParams params;
  /// A complete header line, "Sec-WebSocket-Extensions: permessage-deflate; ...\r\n".
  std::string response_header;
  /// For `malformed`: why (fit for a 400 body).
  std::string_view error;
};

/// Parses `header` (every Sec-WebSocket-Extensions line of the request joined with ", ") and
/// picks the first permessage-deflate offer the server accepts.
NegotiationResult negotiate_permessage_deflate(std::string_view header);

}  // namespace herald::ws
