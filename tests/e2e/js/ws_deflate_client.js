// Node `ws` 8 with permessage-deflate against herald (tests/e2e/test_ws_deflate.py).
// Usage: node ws_deflate_client.js ws://HOST:PORT
// Prints one JSON line per observation, then {"type":"done"}:
//   {"type":"open","extensions":"permessage-deflate","path":"/ws"}   names ws accepted
//   {"type":"push","offset":N,"ok":true,"bytes":N}    a publication arrived intact
//   {"type":"echo","ok":true,"bytes":N}               /ws/echo returned the message intact
// Scenario: subscribe, publish 3 compressible messages of 100 B, 20 KB, 500 KB over the WS op
// (the client compresses every message: threshold 0), wait for the pushes, then echo a 300 KB
// text and a 100 KB binary on /ws/echo.
'use strict';
const WebSocket = require('ws');

const base = process.argv[2];
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const fail = (why) => { emit({ type: 'error', message: String(why) }); process.exit(1); };
// A bound for a client that hangs, far above what a busy machine needs (the test allows 120 s).
setTimeout(() => fail('timeout'), 90000).unref();

const deflate = { threshold: 0 };  // compress everything we send, however small

function compressible(n) {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `{"user":"node","text":"hello again","seq":${i}},`;
  return s.slice(0, n);
}

function open(path, protocols) {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + path, protocols, { perMessageDeflate: deflate });
    ws.on('error', fail);
    ws.on('open', () => {
      emit({ type: 'open', path, extensions: ws.extensions });
      resolve(ws);
    });
  });
}

async function herald() {
  const ws = await open('/ws', ['herald.v1']);
  const sizes = [100, 20000, 500000];
  const pending = new Map();
  let pushes = 0;
  let donePushes;
  const allPushes = new Promise((res) => { donePushes = res; });
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id !== undefined) {
      pending.get(msg.id)(msg);
      return;
    }
    const i = msg.offset - 1;
    emit({ type: 'push', offset: msg.offset, ok: msg.data === compressible(sizes[i]),
           bytes: msg.data.length });
    if (++pushes === sizes.length) donePushes();
  });
  let nextId = 0;
  const call = (obj) => new Promise((res) => {
    obj.id = ++nextId;
    pending.set(obj.id, res);
    ws.send(JSON.stringify(obj));
  });
  const sub = await call({ op: 'subscribe', channel: 'public:nodez' });
  if (!sub.result) fail('subscribe: ' + JSON.stringify(sub));
  for (const n of sizes) {
    const r = await call({ op: 'publish', channel: 'public:nodez', data: compressible(n) });
    if (!r.result) fail('publish: ' + JSON.stringify(r));
  }
  await allPushes;
  ws.close(1000);
}

async function echo() {
  const ws = await open('/ws/echo');
  const text = compressible(300000);
  const bin = Buffer.alloc(100000, 7);
  const got = [];
  await new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      got.push([data, isBinary]);
      if (got.length === 2) resolve();
    });
    ws.send(text);
    ws.send(bin);
  });
  emit({ type: 'echo', ok: !got[0][1] && got[0][0].toString() === text, bytes: text.length });
  emit({ type: 'echo', ok: got[1][1] && Buffer.compare(got[1][0], bin) === 0, bytes: bin.length });
  ws.close(1000);
}

(async () => {
  await herald();
  await echo();
  emit({ type: 'done' });
  process.exit(0);
})().catch(fail);
