// uWebSockets.js peer for herald's benchmarks: a pub/sub server on the URLs the bench uses for
// Nchan, plus a WebSocket echo and /health. uWebSockets.js 20.30 (npm
// @trufflesuite/uws-js-unofficial) ships the native uWS C++ core (uSockets, epoll) as a Node
// addon: sockets, HTTP parsing, WebSocket framing, the topic tree and fan-out run in C++; only
// the route handlers below run in JavaScript, once per request or message.
//
//   POST /pub?id=X   publish the body to topic X as one text message (201: X had
//                    subscribers, 202: none), like Nchan's publisher location
//   GET  /pub?id=X   channel info as Nchan gives it (404: no subscribers; 200: JSON with
//                    "subscribers"): herald bench waits until every subscriber is counted
//   GET  /sub/X      WebSocket: subscribe to topic X (every publication as a bare text frame)
//   GET  /ws/echo    WebSocket: echo every message (any other WebSocket path too)
//   GET  /health     200 "ok\n"
//
// Usage: node server.js PORT   (listens on 127.0.0.1:PORT; prints "listening PORT")
// It refuses to run on the package's pure-JavaScript fallback (which the package loads silently
// when the native addon does not match the Node version): that would measure something else.
'use strict';
const path = require('path');

const pkg = path.join(__dirname, 'node_modules', '@trufflesuite', 'uws-js-unofficial');
const addon = path.join(pkg, 'binaries',
                        `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
let uWS;
try {
  uWS = require(addon);
} catch (e) {
  console.error(`uws peer: the native uWebSockets addon does not load (${e.message}); ` +
                'not falling back to the JavaScript implementation');
  process.exit(2);
}

const port = Number(process.argv[2] || 19600);
const app = uWS.App();

// Same settings as a plain uWS pub/sub server: no compression (herald's bench subscribers do
// not offer it), uWS's default 64 KiB backpressure limit and 16 KiB message limit.
const wsBase = {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 * 1024,
  maxBackpressure: 64 * 1024,
  idleTimeout: 120,
};

app.ws('/sub/:id', {
  ...wsBase,
  upgrade: (res, req, context) => {
    res.upgrade({ topic: req.getParameter(0) }, req.getHeader('sec-websocket-key'),
                req.getHeader('sec-websocket-protocol'),
                req.getHeader('sec-websocket-extensions'), context);
  },
  open: (ws) => { ws.subscribe(ws.getUserData().topic); },
});

app.ws('/*', {
  ...wsBase,
  message: (ws, message, isBinary) => { ws.send(message, isBinary); },
});

app.post('/pub', (res, req) => {
  const topic = req.getQuery('id') || '';
  let parts = null;
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  res.onData((chunk, isLast) => {
    if (!isLast) {
      // uWS reuses the chunk's memory after this callback: keep a copy.
      (parts || (parts = [])).push(Buffer.from(Buffer.from(chunk)));
      return;
    }
    const body = parts ? Buffer.concat([...parts, Buffer.from(chunk)]) : chunk;
    if (aborted) return;
    const had = app.numSubscribers(topic) > 0;
    app.publish(topic, body, false);
    res.cork(() => res.writeStatus(had ? '201 Created' : '202 Accepted').end());
  });
});

app.get('/pub', (res, req) => {
  const n = app.numSubscribers(req.getQuery('id') || '');
  res.cork(() => {
    if (n === 0) {
      res.writeStatus('404 Not Found').end('', true);
    } else {
      res.writeHeader('Content-Type', 'application/json').end(`{"subscribers":${n}}`, true);
    }
  });
});

app.get('/health', (res) => { res.end('ok\n'); });

app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws peer: cannot listen on 127.0.0.1:${port}`);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
