#pragma once
// `herald sub CHANNEL... [--transport ws|sse|longpoll|poll|udp] [--since CURSOR]`: a terminal
// subscriber on any transport. Prints one JSON object per line on stdout, flushed per line:
//
//   pushes, exactly as the server sent them (the same object on every transport):
//     {"channel":"c","offset":42,"data":{...}}        (and {"channel":"c","join":...} / leave)
//   status lines, which always carry an "event" key (pushes never do):
//     ws:        {"event":"subscribed","channel":"c","cursor":"E:42"[,"recovered":true|false]}
//                one per channel, from its subscribe reply ("recovered" only with --since)
//     sse:       {"event":"subscribed","channel":"c"} one per channel when the stream opens
//                (the cursor travels as SSE event ids), and
//                {"event":"recovery","channel":"c","recovered":false,"cursor":"E:N"}
//                for SSE's `event: recovery` (a --since the history no longer covers)
//     longpoll,  {"event":"subscribed","cursor":"..."[,"recovered":false,"unrecovered":["c"]]}
//     poll:      from the first answer; a later answer with "recovered":false prints
//                {"event":"recovery","cursor":"...","recovered":false,"unrecovered":[...]}
//     udp:       {"event":"subscribed","channel":"c","cursor":"E:42"[,"recovered":B]} as ws
//                (again after the lease was reopened), and
//                {"event":"recovery","channel":"c","recovered":false,"cursor":"E:N","lost":K}
//                when K publications are gone from history; pushes in arrival order, each
//                offset once (gap fills and announced ones fetched over HTTP included)
//
// Exit status: 0 after --count pushes, at SIGINT/SIGTERM, or at --timeout when no --count was
// given; 3 when --timeout passes before --count pushes arrived; 1 on an error (refused
// connection, HTTP error such as a bad channel, subscribe error reply, the server closing the
// stream), with "herald sub: ..." on stderr; 2 for bad options.
#include <string>
#include <vector>

namespace herald::cli {

struct SubOptions {
  std::string url = "http://127.0.0.1:8080";  // https:// or wss:// speak TLS
  std::string cacert;                         // PEM CA file for TLS ("" : the system's store)
  std::vector<std::string> channels;
  std::string transport = "ws";  // ws | sse | longpoll | poll | udp
  std::string since;             // "epoch:offset" (one channel) or a multi-channel cursor
  std::string token;             // a JWT (empty: $HERALD_TOKEN, if set; else anonymous), sent
                                 // as ?token= (ws, sse, poll) or in the UDP open
  int count = 0;                 // stop after this many pushes (0: forever)
  double timeout_sec = 0;        // stop after this long (0: never)
  int poll_interval_ms = 1000;   // --transport poll: time between requests
  int wait_sec = 25;             // --transport longpoll: the server's wait
};

int run_sub(const SubOptions& options);

}  // namespace herald::cli
