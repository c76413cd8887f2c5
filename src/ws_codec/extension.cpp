#include "ws_codec/extension.h"

namespace herald::ws {

namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// RFC 7692 §7.1.2: 8..15 in decimal, without leading zeros.
bool parse_window_bits(std::string_view v, uint8_t& bits) {
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') {
    bits = static_cast<uint8_t>(v[0] - '0');
    return true;
  }
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') {
    bits = static_cast<uint8_t>(10 + v[1] - '0');
    return true;
  }
  return false;
}

// A cursor over the header value with the RFC 6455 §9.1 grammar:
//   extension-list = 1#extension ; empty elements allowed (RFC 9110 §5.6.1)
//   extension = token *( OWS ";" OWS token [ OWS "=" OWS ( token | quoted-string ) ] )
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  void skip_ows() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void advance() { ++pos_; }
  std::string_view token() {
    size_t b = pos_;
    while (pos_ < s_.size() && is_tchar(s_[pos_])) ++pos_;
    return s_.substr(b, pos_ - b);
  }
  // After the opening quote; unescapes into `out`. False when unterminated.
  bool quoted(std::string& out) {
    out.clear();
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        c = s_[pos_++];
      }
      out.push_back(c);
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// One offer's evaluation, fed parameter by parameter.
struct Offer {
  bool is_deflate = false;
  bool declined = false;
  bool seen_snct = false, seen_cnct = false, seen_smwb = false, seen_cmwb = false;
  bool client_bits_valued = false;
  DeflateParams p;

  void param(std::string_view name, bool has_value, std::string_view value) {
    if (!is_deflate || declined) return;
    auto once = [&](bool& seen) {
      if (seen) declined = true;
      seen = true;
    };
    if (name == "server_no_context_takeover") {
      once(seen_snct);
      if (has_value) declined = true;
    } else if (name == "client_no_context_takeover") {
      once(seen_cnct);
      if (has_value) declined = true;
      p.client_no_context_takeover = true;
    } else if (name == "server_max_window_bits") {
      once(seen_smwb);
      if (!has_value || !parse_window_bits(value, p.server_max_window_bits)) declined = true;
    } else if (name == "client_max_window_bits") {
      once(seen_cmwb);
      if (has_value) {
        client_bits_valued = true;
        if (!parse_window_bits(value, p.client_max_window_bits)) declined = true;
      }
    } else {
      declined = true;  // a parameter not defined for an offer
    }
  }
  bool acceptable() const { return is_deflate && !declined; }
};

std::string response_value(const Offer& o) {
  std::string v(kPermessageDeflate);
  // Both directions without context takeover (RFC 7692 §7.1.1.1 and §7.1.1.2 let the server
  // ask for both even when the client did not offer them): pushes share one compressed frame
  // per loop, and no connection keeps its own ~40 KB inflater (7 KB state + 32 KB window)
  // for small client messages; every client frame inflates with the loop's shared stream.
  v += "; server_no_context_takeover; client_no_context_takeover";
  if (o.seen_smwb) {
    v += "; server_max_window_bits=";
    v += std::to_string(o.p.server_max_window_bits);
  }
  if (o.client_bits_valued) {
    v += "; client_max_window_bits=";
    v += std::to_string(o.p.client_max_window_bits);
  }
  return v;
}

NegotiationResult malformed(std::string_view why) {
  NegotiationResult r;
  r.outcome = NegotiationResult::malformed;
  r.error = why;
  return r;
}

}  // namespace

NegotiationResult negotiate_permessage_deflate(std::string_view header) {
  NegotiationResult result;
  Lexer lx(header);
  std::string unquoted;
  // The whole header is parsed even after an offer was accepted: a grammar error anywhere
  // makes the request malformed.
  for (;;) {
    lx.skip_ows();
    if (lx.at_end()) break;
    if (lx.peek() == ',') {  // empty list element
      lx.advance();
      continue;
    }
    std::string_view name = lx.token();
    if (name.empty()) return malformed("malformed Sec-WebSocket-Extensions");
    Offer offer;
    offer.is_deflate = name == kPermessageDeflate;
    for (;;) {
      lx.skip_ows();
      if (lx.at_end() || lx.peek() == ',') break;
      if (lx.peek() != ';') return malformed("malformed Sec-WebSocket-Extensions");
      lx.advance();
      lx.skip_ows();
      std::string_view pname = lx.token();
      if (pname.empty()) return malformed("malformed Sec-WebSocket-Extensions");
      lx.skip_ows();
      bool has_value = false;
      std::string_view value;
      if (!lx.at_end() && lx.peek() == '=') {
        lx.advance();
        lx.skip_ows();
        has_value = true;
        if (!lx.at_end() && lx.peek() == '"') {
          lx.advance();
          // RFC 6455 §9.1: a quoted value must still be a token once unescaped.
          if (!lx.quoted(unquoted) || !is_token(unquoted))
            return malformed("malformed Sec-WebSocket-Extensions");
          value = unquoted;
        } else {
          value = lx.token();
          if (value.empty()) return malformed("malformed Sec-WebSocket-Extensions");
        }
      }
      offer.param(pname, has_value, value);
    }
    if (result.outcome == NegotiationResult::none && offer.acceptable()) {
      result.outcome = NegotiationResult::accepted;
      result.params = offer.p;
      result.params.enabled = true;
      result.params.client_no_context_takeover = true;  // always asked for: see response_value
      result.response_header = "Sec-WebSocket-Extensions: " + response_value(offer) + "\r\n";
    }
    if (!lx.at_end()) lx.advance();  // the comma
  }
  return result;
}

}  // namespace herald::ws
