// web/herald.js used from Node 20 against the real server, with the implementations Node
// lacks passed in: npm `ws` for WebSocket and npm `eventsource` (4.x) for EventSource.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { EventSource } from "eventsource";
import WebSocket from "ws";

import { Client } from "../../web/herald.js";
import { publishMany, startHerald, waitFor } from "./harness.mjs";

const N = 200;
let herald;

before(async () => {
  herald = await startHerald({ args: ["--history-size", "1000"] });
});
after(async () => {
  await herald.stop();
});

function client(transports, opts = {}) {
  return new Client(herald.url, { transports, WebSocket, EventSource, pollInterval: 100, ...opts });
}

for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
  test(`${transport}: ${N} publications once each, in order, then publish/history/presence`, { timeout: 120000 }, async () => {
    const channel = `public:node-${transport}`;
    const c = client([transport]);
    try {
      const got = [];
      const sub = c.subscribe(channel);
      sub.on("publication", (p) => got.push(p));
      await sub.ready;
      assert.equal(c.transport, transport);
      await publishMany(herald, channel, N);
      await waitFor(() => got.length >= N, { what: `${N} publications over ${transport}` });
      assert.deepEqual(
        got.map((p) => p.offset),
        Array.from({ length: N }, (_, i) => i + 1),
      );
      assert.deepEqual(
        got.map((p) => p.data.i),
        Array.from({ length: N }, (_, i) => i),
      );
      assert.equal(got[0].channel, channel);

      // Commands go over the WebSocket, or over the HTTP API on the other transports.
      const r = await c.publish(channel, { text: "from node" });
      assert.equal(r.offset, N + 1);
      assert.match(r.epoch, /^[A-Za-z0-9]+$/);
      await waitFor(() => got.length === N + 1, { what: "own publication" });
      assert.equal(sub.cursor, `${r.epoch}:${N + 1}`);
      const h = await sub.history({ limit: 2 });
      assert.deepEqual(
        h.publications.map((p) => p.offset),
        [N, N + 1],
      );
      const pr = await sub.presence();
      // A WebSocket or an SSE stream is subscribed all along; a poll only while it is at the
      // server, so its count depends on the instant.
      if (transport === "websocket" || transport === "sse") assert.equal(pr.connections, 1);
      else assert.ok(pr.connections === 0 || pr.connections === 1, JSON.stringify(pr));
      assert.ok(Array.isArray(pr.clients));
    } finally {
      c.close();
    }
    assert.equal(c.state, "closed");
  });
}

test("async iterator yields the same publications and ends on unsubscribe", { timeout: 120000 }, async () => {
  const channel = "public:node-iter";
  const c = client(["websocket"]);
  try {
    const sub = c.subscribe(channel);
    await sub.ready;
    const seen = [];
    const loop = (async () => {
      for await (const p of sub) {
        seen.push(p.offset);
        if (seen.length === 5) sub.unsubscribe();
      }
    })();
    await publishMany(herald, channel, 5);
    await loop;
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.equal(sub.active, false);
  } finally {
    c.close();
  }
});

test("resume with since: a second client picks up exactly after the cursor", { timeout: 120000 }, async () => {
  const channel = "public:node-since";
  await publishMany(herald, channel, 10);
  const c = client(["sse"]);
  try {
    const first = await herald.publish(channel, { i: 10 });
    const since = `${first.epoch}:5`;
    const got = [];
    const sub = c.subscribe(channel, { since });
    sub.on("publication", (p) => got.push(p.offset));
    await waitFor(() => got.length >= 6, { what: "replay after since" });
    assert.deepEqual(got, [6, 7, 8, 9, 10, 11]);
  } finally {
    c.close();
  }
});

test("an unrecoverable since fires unrecovered on every transport and then goes live", { timeout: 120000 }, async () => {
  for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
    const channel = `public:node-unrec-${transport}`;
    const pub = await herald.publish(channel, { i: 0 });
    const c = client([transport]);
    try {
      const events = [];
      const got = [];
      const sub = c.subscribe(channel, { since: "OldEpoch:3" });
      sub.on("unrecovered", (e) => events.push(e));
      sub.on("publication", (p) => got.push(p.offset));
      await sub.ready;
      await waitFor(() => events.length === 1, { what: `unrecovered over ${transport}` });
      assert.deepEqual(events[0], { channel, since: "OldEpoch:3", cursor: `${pub.epoch}:1` });
      await herald.publish(channel, { i: 1 });
      await waitFor(() => got.length === 1, { what: `live after unrecovered over ${transport}` });
      assert.deepEqual(got, [2]);
    } finally {
      c.close();
    }
  }
});

test("a refused channel rejects sub.ready with 403 on every transport; others keep working", { timeout: 120000 }, async () => {
  for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
    const c = client([transport]);
    try {
      const ok = c.subscribe(`public:node-ok-${transport}`);
      const bad = c.subscribe("private:nope");
      await assert.rejects(bad.ready, (e) => e.code === 403 && e.message === "permission denied");
      await ok.ready;
      const got = [];
      ok.on("publication", (p) => got.push(p.offset));
      await herald.publish(`public:node-ok-${transport}`, 1);
      await waitFor(() => got.length === 1, { what: `publication next to a refused channel (${transport})` });
      // On WebSocket the client's own rights apply; the other transports publish through the
      // HTTP API, which is the server's (open here: no api_key, loopback).
      if (transport === "websocket") {
        await assert.rejects(c.publish("private:nope", 1), (e) => e.code === 403 && e instanceof Error);
      }
    } finally {
      c.close();
    }
  }
});

test("several subscriptions share one stream per transport (multi-channel cursor)", { timeout: 120000 }, async () => {
  for (const transport of ["sse", "long-poll"]) {
    const c = client([transport]);
    try {
      const channels = Array.from({ length: 70 }, (_, i) => `public:node-multi-${transport}-${i}`);
      const got = new Map(channels.map((ch) => [ch, []]));
      const subs = channels.map((ch) => {
        const s = c.subscribe(ch);
        s.on("publication", (p) => got.get(ch).push(p.offset));
        return s;
      });
      await Promise.all(subs.map((s) => s.ready));
      for (let round = 0; round < 3; round++) {
        for (const ch of channels) await herald.publish(ch, { round });
      }
      await waitFor(() => [...got.values()].every((l) => l.length === 3), { what: "3 per channel" });
      for (const l of got.values()) assert.deepEqual(l, [1, 2, 3]);
    } finally {
      c.close();
    }
  }
});

test("sub.ready resolves on a silent channel on every transport, with its position", { timeout: 120000 }, async () => {
  for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
    const channel = `public:node-silent-${transport}`;
    const c = client([transport], { longPollWait: 60 });
    try {
      await waitFor(() => c.state === "connected", { what: `connected over ${transport}` });
      const sub = c.subscribe(channel); // after the transport opened with no channel at all
      const outcome = await Promise.race([sub.ready.then(() => "ready"), new Promise((r) => setTimeout(() => r("not ready"), 20000))]);
      assert.equal(outcome, "ready", transport);
      assert.match(sub.cursor, /^[A-Za-z0-9]+:0$/);
    } finally {
      c.close();
    }
  }
});

test("bytes: publish(channel, Uint8Array) arrives as a Uint8Array with binary: true on every transport", { timeout: 120000 }, async () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
    const channel = `public:node-bytes-${transport}`;
    const c = client([transport]);
    try {
      const got = [];
      const sub = c.subscribe(channel);
      sub.on("publication", (p) => got.push(p));
      await sub.ready;
      // Over the WebSocket as a binary frame, else as an application/octet-stream POST.
      const r1 = await c.publish(channel, all);
      await c.publish(channel, new Uint8Array(0));
      await c.publish(channel, all.buffer.slice(250)); // an ArrayBuffer: bytes 250..255
      await c.publish(channel, { json: true });
      await waitFor(() => got.length >= 4, { what: `4 publications over ${transport}` });
      assert.equal(got[0].offset, r1.offset);
      assert.ok(got[0].data instanceof Uint8Array, `${transport}: ${typeof got[0].data}`);
      assert.equal(got[0].binary, true);
      assert.deepEqual(Array.from(got[0].data), Array.from(all));
      assert.deepEqual(Array.from(got[1].data), []);
      assert.deepEqual(Array.from(got[2].data), [250, 251, 252, 253, 254, 255]);
      assert.equal(got[3].binary, false);
      assert.deepEqual(got[3].data, { json: true });
      const h = await sub.history({ limit: 4 });
      assert.equal(h.publications[0].binary, true);
      assert.deepEqual(Array.from(h.publications[0].data), Array.from(all));
      assert.deepEqual(h.publications[3].data, { json: true });
    } finally {
      c.close();
    }
  }
});
