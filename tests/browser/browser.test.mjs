// web/herald.js in Chromium (Debian's, driven by playwright-core) against the real binary.
// The page is served by herald through a TCP proxy (harness.mjs) that can refuse or swallow
// WebSocket upgrades and cut every connection, so the client meets a network that blocks
// WebSocket and a network drop while the server goes on; publications come from Node through
// the HTTP API, straight to herald. Every wait is event-driven with a generous deadline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Proxy, launchChromium, newPage, publishMany, startHerald, waitFor } from "./harness.mjs";

const HISTORY = ["--history-size", "2000"];
let browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Opens a page on `base`, imports /herald.js there and subscribes `channel` with `opts`. */
async function clientPage(base, channel, opts, { networkErrors = true } = {}) {
  const page = await newPage(browser.context, { networkErrors });
  await page.goto(`${base}/health`);
  await page.evaluate(
    async ({ channel, opts }) => {
      const { Client } = await import("/herald.js");
      const T = (window.T = { got: [], data: [], unrecovered: [], states: [], errors: [], upgrades: [] });
      const c = (window.client = new Client(location.origin, opts));
      c.on("state", (s) => T.states.push(s));
      c.on("error", (e) => T.errors.push({ code: e.code, message: e.message }));
      c.on("upgrade", (u) => T.upgrades.push(u));
      const sub = (window.sub = c.subscribe(channel));
      sub.on("publication", (p) => {
        T.got.push(p.offset);
        T.data.push(p.data);
      });
      sub.on("unrecovered", (e) => T.unrecovered.push(e));
      await sub.ready;
    },
    { channel, opts },
  );
  return page;
}

const T = (page) => page.evaluate(() => window.T);
const count = (page) => page.evaluate(() => window.T.got.length);
const transportOf = (page) => page.evaluate(() => window.client.transport);
const stats = (page) => page.evaluate(() => ({ ...window.client.stats, state: window.client.state }));

async function waitCount(page, n, what) {
  await waitFor(async () => (await count(page)) >= n, { timeout: 120000, what, every: 50 });
}

async function finish(page) {
  const problems = page.problems;
  await page.evaluate(() => window.client && window.client.close());
  await page.close();
  assert.deepEqual(problems, [], "no console errors or uncaught exceptions");
}

for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
  test(`${transport} forced: 500 publications arrive exactly once, in order`, { timeout: 300000 }, async () => {
    const herald = await startHerald({ args: HISTORY });
    try {
      const channel = `public:race-${transport}`;
      const page = await clientPage(herald.url, channel, { transports: [transport], pollInterval: 200 });
      assert.equal(await transportOf(page), transport);
      await publishMany(herald, channel, 500);
      await waitCount(page, 500, `500 publications over ${transport}`);
      const t = await T(page);
      assert.deepEqual(t.got, range(1, 500));
      assert.deepEqual(
        t.data.map((d) => d.i),
        range(0, 499),
      );
      assert.deepEqual(t.unrecovered, []);
      await finish(page);
    } finally {
      await herald.stop();
    }
  });
}

for (const mode of ["refuse-ws", "hang-ws"]) {
  test(`WebSocket blocked (${mode}): falls back, gets everything, upgrades when it comes back`, { timeout: 300000 }, async () => {
    const herald = await startHerald({ args: HISTORY });
    const proxy = await new Proxy(herald.port).listen();
    proxy.mode = mode;
    try {
      const channel = `public:fallback-${mode}`;
      const page = await clientPage(proxy.url, channel, { openTimeout: 1500, upgradeInterval: 600 }, { networkErrors: false });
      assert.equal(await transportOf(page), "sse", "the next transport in the default order");
      assert.ok(proxy.refused >= 1, "the client did try WebSocket first");
      assert.ok((await stats(page)).fallbacks >= 1);
      await publishMany(herald, channel, 200);
      await waitCount(page, 200, "200 publications on the fallback");

      // WebSocket comes back: keep publishing until the client has switched, then some more.
      proxy.mode = "pass";
      let n = 200;
      const deadline = Date.now() + 120000;
      while ((await transportOf(page)) !== "websocket") {
        assert.ok(Date.now() < deadline && n < 20000, "the client upgrades to WebSocket");
        await herald.publish(channel, { i: n++ });
      }
      await publishMany(herald, channel, 100, n);
      n += 100;
      await waitCount(page, n, `${n} publications across the upgrade`);
      const t = await T(page);
      assert.deepEqual(t.got, range(1, n), "no loss, no duplicate across the switch");
      assert.deepEqual(t.upgrades.at(-1), { from: "sse", to: "websocket" });
      assert.ok(proxy.upgrades >= 1);
      await finish(page);
    } finally {
      await proxy.close();
      await herald.stop();
    }
  });
}

for (const transport of ["websocket", "sse", "long-poll"]) {
  test(`${transport}: a network drop mid-stream loses nothing and repeats nothing`, { timeout: 300000 }, async () => {
    const herald = await startHerald({ args: HISTORY });
    const proxy = await new Proxy(herald.port).listen();
    try {
      const channel = `public:drop-${transport}`;
      const page = await clientPage(
        proxy.url,
        channel,
        { transports: [transport], backoff: { min: 100, max: 1000 } },
        { networkErrors: false },
      );
      await publishMany(herald, channel, 150);
      await waitCount(page, 150, "first 150");
      const before = proxy.accepted;
      proxy.cut(); // every connection of the page is reset; the server keeps running
      await publishMany(herald, channel, 150, 150); // published while the client is cut off
      // The client is back on a new TCP connection. (A cut long-poll may be retried by
      // Chromium itself, below the page, so only the stream transports must see the drop.)
      await waitFor(() => proxy.accepted > before, { timeout: 60000, what: "a new connection" });
      if (transport !== "long-poll") {
        await waitFor(async () => (await stats(page)).connects >= 2, { timeout: 60000, what: "reconnect" });
      }
      await publishMany(herald, channel, 200, 300);
      await waitCount(page, 500, "all 500");
      const t = await T(page);
      assert.deepEqual(t.got, range(1, 500));
      assert.deepEqual(t.unrecovered, [], "history covered the gap");
      if (transport !== "long-poll") assert.ok(t.states.includes("disconnected"), `the drop was seen: ${t.states}`);
      await finish(page);
    } finally {
      await proxy.close();
      await herald.stop();
    }
  });
}

test("server killed and restarted (in-memory engine: new epoch) -> unrecovered, then live from 1", { timeout: 300000 }, async () => {
  let herald = await startHerald({ args: HISTORY });
  const port = herald.port;
  const proxy = await new Proxy(port).listen();
  try {
    const channel = "public:restart";
    const page = await clientPage(
      proxy.url,
      channel,
      { transports: ["websocket"], backoff: { min: 100, max: 1000 } },
      { networkErrors: false },
    );
    const first = await publishMany(herald, channel, 50);
    await waitCount(page, 50, "first 50");
    await herald.stop("SIGKILL");
    herald = await startHerald({ args: HISTORY, port });
    await waitFor(async () => (await T(page)).unrecovered.length === 1, { timeout: 60000, what: "unrecovered" });
    const ev = (await T(page)).unrecovered[0];
    assert.equal(ev.channel, channel);
    assert.equal(ev.since, `${first[0].epoch}:50`);
    assert.match(ev.cursor, /^[A-Za-z0-9]+:0$/);
    assert.notEqual(ev.cursor.split(":")[0], first[0].epoch, "a new epoch");
    await publishMany(herald, channel, 10);
    await waitCount(page, 60, "live after the restart");
    assert.deepEqual((await T(page)).got, [...range(1, 50), ...range(1, 10)]);
    await finish(page);
  } finally {
    await proxy.close();
    await herald.stop();
  }
});

test("SIGTERM drain: the client reconnects by itself to the restarted server", { timeout: 300000 }, async () => {
  let herald = await startHerald({ args: [...HISTORY, "--set", "server.drain_ms=200"] });
  const port = herald.port;
  const proxy = await new Proxy(port).listen();
  try {
    for (const transport of ["websocket", "sse"]) {
      const channel = `public:drain-${transport}`;
      const page = await clientPage(
        proxy.url,
        channel,
        { transports: [transport], backoff: { min: 100, max: 1000 } },
        { networkErrors: false },
      );
      await herald.publish(channel, 1);
      await waitCount(page, 1, "first");
      await herald.stop("SIGTERM");
      herald = await startHerald({ args: [...HISTORY, "--set", "server.drain_ms=200"], port });
      await waitFor(async () => (await stats(page)).connects >= 2 && (await stats(page)).state === "connected", {
        timeout: 60000,
        what: `reconnect over ${transport}`,
      });
      // "connected" is the transport; the channel is subscribed again when its answer (here
      // "unrecovered": a new epoch) arrives. Published before that, the publication is in the
      // new epoch before the client's position and is rightly not replayed: under load that
      // race lost it and the test waited out its deadline.
      await waitFor(async () => (await T(page)).unrecovered.length === 1, {
        timeout: 60000,
        what: `resubscribed over ${transport}`,
      });
      await herald.publish(channel, 2);
      await waitCount(page, 2, "a publication after the restart");
      const t = await T(page);
      assert.ok(t.states.includes("disconnected"));
      assert.equal(t.unrecovered.length, 1, "the restart is a new epoch: said once");
      assert.deepEqual(t.got, [1, 1]);
      await finish(page);
    }
  } finally {
    await proxy.close();
    await herald.stop();
  }
});

test("a 4500-4999 close: the client stops and does not reconnect", { timeout: 120000 }, async () => {
  const herald = await startHerald({ args: HISTORY });
  const proxy = await new Proxy(herald.port).listen();
  try {
    const page = await clientPage(proxy.url, "public:fatal", { transports: ["websocket"], backoff: { min: 50, max: 100 } });
    assert.equal(proxy.upgrades, 1);
    // The close frame a server sends on a refused token (4500), written on the wire.
    proxy.injectClose(4500, "bad token");
    await waitFor(async () => (await stats(page)).state === "closed", { timeout: 30000, what: "closed" });
    const t = await T(page);
    assert.deepEqual(t.errors.at(-1), { code: 4500, message: "bad token" });
    // With a backoff of at most 100 ms, a wrong client would have tried again many times.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(proxy.upgrades, 1, "no new WebSocket");
    await finish(page);
  } finally {
    await proxy.close();
    await herald.stop();
  }
});

test("the browser's online event reconnects at once instead of waiting out the backoff", { timeout: 120000 }, async () => {
  const herald = await startHerald({ args: HISTORY });
  const proxy = await new Proxy(herald.port).listen();
  try {
    // A backoff drawn from [0, 10 min]: without the hint the reconnect would almost surely
    // come long after this test's deadline.
    const page = await clientPage(
      proxy.url,
      "public:online",
      { transports: ["websocket"], backoff: { min: 600000, max: 600000 } },
      { networkErrors: false },
    );
    proxy.cut();
    await waitFor(async () => (await stats(page)).state === "disconnected", { timeout: 30000, what: "disconnected" });
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await waitFor(async () => (await stats(page)).state === "connected", { timeout: 30000, what: "reconnected on 'online'" });
    await herald.publish("public:online", "back");
    await waitCount(page, 1, "a publication after the reconnect");
    await finish(page);
  } finally {
    await proxy.close();
    await herald.stop();
  }
});

test("bytes in Chromium: a Uint8Array published over a WebSocket binary frame and over HTTP arrives as a Uint8Array", { timeout: 300000 }, async () => {
  const herald = await startHerald({ args: HISTORY });
  try {
    for (const transport of ["websocket", "sse"]) {
      const channel = `public:bytes-${transport}`;
      const page = await clientPage(herald.url, channel, { transports: [transport], pollInterval: 200 });
      const got = await page.evaluate(async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await window.client.publish(window.sub.channel, all);
        await window.client.publish(window.sub.channel, { json: 1 });
        const deadline = Date.now() + 60000;
        while (window.T.data.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const [bytes, json] = window.T.data;
        return { isBytes: bytes instanceof Uint8Array, bytes: Array.from(bytes || []), json };
      });
      assert.equal(got.isBytes, true, transport);
      assert.deepEqual(got.bytes, range(0, 255));
      assert.deepEqual(got.json, { json: 1 });
      await finish(page);
    }
  } finally {
    await herald.stop();
  }
});
