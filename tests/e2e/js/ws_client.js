// A third-party WebSocket client (npm `ws` 8) for herald's end-to-end tests.
// Usage: node ws_client.js ws://HOST:PORT
// Runs a herald.v1 scenario and prints one JSON line per observation, then {"type":"done"}:
//   {"type":"open","protocol":"herald.v1"}
//   {"type":"reply","msg":{...}}   replies (frames with "id")
//   {"type":"push","msg":{...}}    pushes (frames without "id")
//   {"type":"close","code":N}
// Scenario: connect, subscribe to public:node, publish 3 messages over the WS op, wait for the
// 3 pushes, send a frame that is not JSON, ping, then echo a 100 KB message on /ws/echo
// (fragmented by the server or not), and close with 1000.
'use strict';
const WebSocket = require('ws');

const base = process.argv[2];
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const fail = (why) => { emit({ type: 'error', message: String(why) }); process.exit(1); };
// A bound for a client that hangs, far above what a busy machine needs (the test allows 120 s).
setTimeout(() => fail('timeout'), 90000).unref();

function herald() {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + '/ws', ['herald.v1']);
    const pending = new Map();
    let pushes = 0;
    let onPushes = null;
    ws.on('error', fail);
    ws.on('open', () => emit({ type: 'open', protocol: ws.protocol }));
    ws.on('message', (data, isBinary) => {
      const msg = JSON.parse(data.toString());
      if (msg.id !== undefined && pending.has(msg.id)) {
        emit({ type: 'reply', msg });
        pending.get(msg.id)(msg);
        pending.delete(msg.id);
      } else {
        emit({ type: 'push', msg });
        if (msg.channel === 'public:node' && ++pushes === 3 && onPushes) onPushes();
      }
    });
    let nextId = 0;
    const call = (obj) => new Promise((res) => {
      obj.id = ++nextId;
      pending.set(obj.id, res);
      ws.send(JSON.stringify(obj));
    });
    ws.on('open', async () => {
      await call({ op: 'connect' });
      await call({ op: 'subscribe', channel: 'public:node' });
      const got = new Promise((res) => { onPushes = res; if (pushes >= 3) res(); });
      for (let i = 1; i <= 3; i++) await call({ op: 'publish', channel: 'public:node', data: { i } });
      await got;
      ws.send('this is not json');
      await call({ op: 'ping' });
      ws.on('close', (code) => { emit({ type: 'close', code }); resolve(); });
      ws.close(1000);
    });
  });
}

function echo() {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + '/ws/echo');
    const big = Buffer.alloc(100 * 1024, 7);
    ws.on('error', fail);
    ws.on('open', () => ws.send(big, { binary: true }));
    ws.on('message', (data, isBinary) => {
      emit({ type: 'echo', ok: isBinary && Buffer.compare(data, big) === 0, bytes: data.length });
      ws.close(1000);
    });
    ws.on('close', (code) => { emit({ type: 'close', code }); resolve(); });
  });
}

(async () => {
  await herald();
  await echo();
  emit({ type: 'done' });
  process.exit(0);
})();
