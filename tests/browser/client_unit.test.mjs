// Unit tests of web/herald.js without a server: backoff bounds, close-code policy, cursor
// codecs, the per-subscription cursor bookkeeping, and the connection state machine driven
// through a scripted WebSocket (the server side of these paths runs in node_client and
// browser tests).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Client,
  Subscription,
  backoffDelay,
  closeAction,
  decodeAnyCursor,
  encodeMultiCursor,
  parseCursor,
  tokenExpiry,
} from "../../web/herald.js";

test("backoff: full jitter within [floor, min(max, min*2^attempt)]", () => {
  const opts = { min: 100, max: 5000, floor: 10 };
  for (let attempt = 0; attempt < 12; attempt++) {
    const cap = Math.min(5000, 100 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, opts, () => 0), 10, "lowest draw is the floor");
    assert.equal(backoffDelay(attempt, opts, () => 0.999999), Math.floor(0.999999 * cap));
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, opts);
      assert.ok(d >= 10 && d <= cap, `${d} outside [10, ${cap}] at attempt ${attempt}`);
    }
  }
  assert.equal(backoffDelay(1000, opts, () => 0.5), 2500, "huge attempts stay capped at max");
});

test("close codes: 4000-4499 reconnect, 4500-4999 do not, 4001 drain, 4005 token", () => {
  assert.equal(closeAction(1000), "reconnect");
  assert.equal(closeAction(1006), "reconnect");
  assert.equal(closeAction(4000), "reconnect");
  assert.equal(closeAction(4001), "drain");
  assert.equal(closeAction(4005), "token");
  assert.equal(closeAction(4008), "reconnect");
  assert.equal(closeAction(4499), "reconnect");
  assert.equal(closeAction(4500), "fatal");
  assert.equal(closeAction(4503), "fatal");
  assert.equal(closeAction(4999), "fatal");
});

test("cursors: single form, m1 round trip, shared-epoch entries, junk", () => {
  assert.deepEqual(parseCursor("Ab3:42"), { epoch: "Ab3", offset: 42 });
  assert.equal(parseCursor("Ab3:042"), null);
  assert.equal(parseCursor("Ab3"), null);
  assert.equal(parseCursor("a-b:1"), null);
  const m = new Map([
    ["public:a", { epoch: "E1", offset: 5 }],
    ["public:b", { epoch: "E2", offset: 0 }],
  ]);
  const text = encodeMultiCursor(m);
  assert.match(text, /^m1\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeAnyCursor(text, ["public:a", "public:b"]), m);
  // The server writes an empty epoch for "same as the previous entry".
  const shared = "m1." + Buffer.from("x E9:1,y :7").toString("base64url");
  assert.deepEqual(
    decodeAnyCursor(shared, ["x", "y"]),
    new Map([
      ["x", { epoch: "E9", offset: 1 }],
      ["y", { epoch: "E9", offset: 7 }],
    ]),
  );
  // A user-limited channel may hold ',' after '#': entries are read left to right.
  const dm = new Map([
    ["dm:#alice,bob", { epoch: "E1", offset: 4 }],
    ["public:x", { epoch: "E1", offset: 9 }],
  ]);
  assert.deepEqual(decodeAnyCursor(encodeMultiCursor(dm), ["dm:#alice,bob", "public:x"]), dm);
  const dmShared = "m1." + Buffer.from("dm:#a,b E2:1,dm:#c,d :2").toString("base64url");
  assert.deepEqual(
    decodeAnyCursor(dmShared, []),
    new Map([
      ["dm:#a,b", { epoch: "E2", offset: 1 }],
      ["dm:#c,d", { epoch: "E2", offset: 2 }],
    ]),
  );
  assert.deepEqual(decodeAnyCursor("E:3", ["only"]), new Map([["only", { epoch: "E", offset: 3 }]]));
  assert.equal(decodeAnyCursor("E:3", ["a", "b"]).size, 0, "single form names one channel only");
  assert.equal(decodeAnyCursor("m1.!!!", ["a"]).size, 0);
  assert.equal(decodeAnyCursor("", ["a"]).size, 0);
});

test("tokenExpiry reads exp from a JWT payload, null otherwise", () => {
  const payload = Buffer.from(JSON.stringify({ sub: "u", exp: 1700000000 })).toString("base64url");
  assert.equal(tokenExpiry(`h.${payload}.s`), 1700000000 * 1000);
  assert.equal(tokenExpiry("not-a-jwt"), null);
  assert.equal(tokenExpiry(`h.${Buffer.from("{}").toString("base64url")}.s`), null);
});

// A Subscription's bookkeeping, driven as the client drives it.
function bareSub(since) {
  return new Subscription({ _removeSubscription() {} }, "public:x", since);
}

test("bookkeeping: next offset delivered, duplicates dropped, gaps refused, cursor advances", () => {
  const sub = bareSub();
  const got = [];
  sub.on("publication", (p) => got.push(p.offset));
  sub._position({ epoch: "E", offset: 10 }); // subscribed from now at E:10
  assert.equal(sub.cursor, "E:10");
  assert.equal(sub._accept(11, "a"), "delivered");
  assert.equal(sub._accept(11, "a"), "duplicate");
  assert.equal(sub._accept(9, "old"), "duplicate");
  assert.equal(sub._accept(13, "c"), "gap");
  assert.equal(sub.cursor, "E:11", "a gap does not move the cursor");
  assert.equal(sub._accept(12, "b"), "delivered");
  assert.deepEqual(got, [11, 12]);
  assert.equal(sub.cursor, "E:12");
});

test("bookkeeping: a recovered answer keeps our cursor (the replay follows)", () => {
  const sub = bareSub("E:3");
  sub._position({ epoch: "E", offset: 7 }, true);
  assert.equal(sub.cursor, "E:3");
  for (const o of [4, 5, 6, 7]) assert.equal(sub._accept(o, o), "delivered");
});

test("bookkeeping: not recovered -> one unrecovered event, cursor jumps to the stream's", () => {
  const sub = bareSub("Old:3");
  const events = [];
  sub.on("unrecovered", (e) => events.push(e));
  sub._position({ epoch: "New", offset: 2 }, false);
  assert.deepEqual(events, [{ channel: "public:x", since: "Old:3", cursor: "New:2" }]);
  assert.equal(sub.cursor, "New:2");
  assert.equal(sub._accept(3, "x"), "delivered");
});

test("bookkeeping: a position ahead of ours in the same epoch is not taken (no silent skip)", () => {
  const sub = bareSub("E:5");
  sub._position({ epoch: "E", offset: 9 });
  assert.equal(sub.cursor, "E:5");
  assert.equal(sub._accept(10, "x"), "gap");
});

test("bookkeeping: a bad since is refused at subscribe time", () => {
  assert.throws(() => bareSub("yesterday"), (e) => e.code === 400);
});

// --- the state machine, with a scripted WebSocket -------------------------------------------

class ScriptedSocket {
  static instances = [];
  static script = () => ({}); // per instance: {refuse: true} | {closeWith: code} | {}
  constructor(url, protocol) {
    this.url = url;
    this.protocol = protocol;
    this.sent = [];
    this.plan = ScriptedSocket.script(ScriptedSocket.instances.length);
    ScriptedSocket.instances.push(this);
    setTimeout(() => {
      if (this.plan.refuse) return this._close(1006);
      this.onopen && this.onopen();
    }, 1);
  }
  send(text) {
    const cmd = JSON.parse(text);
    this.sent.push(cmd);
    if (cmd.op === "subscribe") this._reply(cmd.id, { cursor: "E:0" });
    if (cmd.op === "connect") {
      if (this.plan.badToken) {
        this._reply(cmd.id, null, { code: 401, message: "unauthorized" });
        return this._close(4500);
      }
      this._reply(cmd.id, { client: "c1", user: "u" });
    }
  }
  _reply(id, result, error) {
    setTimeout(() => this.onmessage && this.onmessage({ data: JSON.stringify(error ? { id, error } : { id, result }) }), 1);
  }
  _close(code) {
    setTimeout(() => this.onclose && this.onclose({ code, reason: "" }), 1);
  }
  close() {}
}

function states(c) {
  const seen = [];
  c.on("state", (s) => seen.push(s));
  return seen;
}

async function until(fn, what) {
  const deadline = Date.now() + 5000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test("state machine: a 4500-4999 close ends the client; no reconnect", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({});
  const c = new Client("http://h", { transports: ["websocket"], WebSocket: ScriptedSocket });
  const seen = states(c);
  const errors = [];
  c.on("error", (e) => errors.push(e.code));
  await until(() => c.state === "connected", "connected");
  ScriptedSocket.instances[0]._close(4503);
  await until(() => c.state === "closed", "closed");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ScriptedSocket.instances.length, 1, "no second socket");
  assert.equal(seen.at(-1), "closed");
  const after = seen.slice(seen.indexOf("connected") + 1);
  assert.ok(!after.includes("connecting"), `no reconnect attempt: ${seen}`);
  assert.deepEqual(errors, [4503]);
});

test("state machine: 4001 and 4008 reconnect and resubscribe from the cursor", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({});
  const c = new Client("http://h", { transports: ["websocket"], WebSocket: ScriptedSocket, backoff: { min: 5, max: 20 } });
  try {
    const sub = c.subscribe("public:x");
    await sub.ready;
    c._transport.ws.onmessage({ data: JSON.stringify({ channel: "public:x", offset: 1, data: 1 }) });
    assert.equal(sub.cursor, "E:1");
    ScriptedSocket.instances[0]._close(4001);
    await until(() => ScriptedSocket.instances.length === 2 && c.state === "connected", "reconnect after 4001");
    await until(() => ScriptedSocket.instances[1].sent.length > 0, "resubscribe");
    assert.deepEqual(ScriptedSocket.instances[1].sent[0], { id: 1, op: "subscribe", channel: "public:x", since: "E:1" });
    ScriptedSocket.instances[1]._close(4008);
    await until(() => ScriptedSocket.instances.length === 3 && c.state === "connected", "reconnect after 4008");
  } finally {
    c.close();
  }
});

test("websocket: a stream reset push (cluster mode) is one unrecovered event and a new cursor", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({});
  const c = new Client("http://h", { transports: ["websocket"], WebSocket: ScriptedSocket });
  try {
    const sub = c.subscribe("public:x");
    const lost = [];
    sub.on("unrecovered", (e) => lost.push(e));
    await sub.ready;
    c._transport.ws.onmessage({ data: JSON.stringify({ channel: "public:x", offset: 1, data: 1 }) });
    c._transport.ws.onmessage({
      data: JSON.stringify({ channel: "public:x", recovered: false, cursor: "New:3" }),
    });
    assert.equal(lost.length, 1);
    assert.equal(lost[0].since, "E:1");
    assert.equal(lost[0].cursor, "New:3");
    assert.equal(sub.cursor, "New:3");
    // The new stream goes on from there.
    c._transport.ws.onmessage({ data: JSON.stringify({ channel: "public:x", offset: 4, data: 2 }) });
    assert.equal(sub.cursor, "New:4");
  } finally {
    c.close();
  }
});

test("state machine: a socket that never opens falls back; after a full round, backoff", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({ refuse: true });
  const c = new Client("http://h", {
    transports: ["websocket", "websocket"],
    WebSocket: ScriptedSocket,
    backoff: { min: 5, max: 10 },
  });
  try {
    await until(() => ScriptedSocket.instances.length >= 4, "four attempts");
    assert.ok(c.stats.fallbacks >= 2, JSON.stringify(c.stats));
    assert.notEqual(c.state, "connected");
  } finally {
    c.close();
  }
});

test("state machine: 4005 asks getToken for a fresh token, then connects with it", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({});
  let n = 0;
  const c = new Client("http://h", {
    transports: ["websocket"],
    WebSocket: ScriptedSocket,
    getToken: async () => `tok${++n}`,
    backoff: { min: 5, max: 10 },
  });
  try {
    await until(() => c.state === "connected", "connected");
    assert.equal(ScriptedSocket.instances[0].sent[0].token, "tok1");
    ScriptedSocket.instances[0]._close(4005);
    await until(() => ScriptedSocket.instances.length === 2 && c.state === "connected", "reconnect");
    assert.equal(ScriptedSocket.instances[1].sent[0].op, "connect");
    assert.equal(ScriptedSocket.instances[1].sent[0].token, "tok2");
  } finally {
    c.close();
  }
});

test("state machine: a refused token (401 + close 4500) is final", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({ badToken: true });
  const c = new Client("http://h", { transports: ["websocket"], WebSocket: ScriptedSocket, token: "bad" });
  const errors = [];
  c.on("error", (e) => errors.push(e.code));
  await until(() => c.state === "closed", "closed");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(ScriptedSocket.instances.length, 1);
  assert.deepEqual(errors, [401]);
});

test("commands time out with code 'timeout' and reject after close with 'closed'", async () => {
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => ({});
  const c = new Client("http://h", { transports: ["websocket"], WebSocket: ScriptedSocket, timeout: 30 });
  await until(() => c.state === "connected", "connected");
  await assert.rejects(c.publish("public:x", 1), (e) => e instanceof Error && e.code === "timeout");
  c.close();
  await assert.rejects(c.publish("public:x", 1), (e) => e.code === "closed");
  assert.throws(() => c.subscribe("public:y"), (e) => e.code === "closed");
});
