// Benchmark of web/herald.js in Chromium (a benchmark, not a test: numbers, no pass/fail).
//
// One tab holds 100 subscriptions (100 channels) on one transport. A Node publisher sends
// publish ops over one WebSocket (without ids: no replies), round robin over the channels, paced
// in 10 ms ticks. For each transport:
//   1. sustained rate: rates double from 250/s; a rate is sustained when the tab has received
//      every publication of a STEP-second run within SETTLE seconds after it (no unrecovered);
//      the highest such rate is reported (and the publisher's achieved rate beside it);
//   2. latency at half of it: publish -> `publication` callback, p50/p99/max over a STEP-second
//      run, from timestamps in the data (the tab and Node read the same system clock).
// Also the bytes of JavaScript shipped: herald.js raw, gzip -9, minified (terser), minified+gzip.
//
// Usage: node bench/client/run.mjs [--herald PATH] [--subs N] [--step S] [--transports a,b]
//                                  [--max-rate R] [--json FILE]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { minify } from "terser";
import WebSocket from "ws";

import { launchChromium, newPage, startHerald } from "../../tests/browser/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const SUBS = Number(args.subs || 100);
const STEP = Number(args.step || 4); // seconds per rate
const SETTLE = Number(args.settle || 2); // seconds the tab may lag behind at the end of a run
const MAX_RATE = Number(args["max-rate"] || 128000);
const TRANSPORTS = (args.transports || "websocket,sse,long-poll,poll").split(",");
process.env.HERALD_BIN ||= args.herald || path.join(root, "build", "release", "herald");

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sizes() {
  const src = fs.readFileSync(path.join(root, "web", "herald.js"), "utf8");
  const min = (await minify(src, { module: true, compress: true, mangle: true })).code;
  const gz = (s) => zlib.gzipSync(s, { level: 9 }).length;
  return { raw: Buffer.byteLength(src), gzip: gz(src), minified: Buffer.byteLength(min), minifiedGzip: gz(min) };
}

class Publisher {
  constructor(url) {
    this.ws = new WebSocket(url.replace(/^http/, "ws") + "/ws", "herald.v1", { perMessageDeflate: false });
    this.total = 0; // every publication sent on this connection
  }
  open() {
    return new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
  }
  /** Publishes at `rate`/s for `seconds` over `channels`; returns the count sent. */
  async run(channels, rate, seconds) {
    const start = now();
    let sent = 0;
    for (;;) {
      const elapsed = (now() - start) / 1000;
      if (elapsed >= seconds) break;
      const due = Math.min(Math.floor(elapsed * rate) + 1, Math.floor(seconds * rate));
      while (sent < due) {
        const channel = channels[sent % channels.length];
        this.ws.send(`{"op":"publish","channel":"${channel}","data":{"t":${now()}}}`);
        sent++;
        this.total++;
      }
      // Keep the socket's own buffer short, so pacing is real and not a burst at the end.
      while (this.ws.bufferedAmount > 1 << 20) await sleep(1);
      await sleep(10);
    }
    return sent;
  }
  close() {
    this.ws.close();
  }
}

async function tab(context, url, transport, channels) {
  const page = await newPage(context);
  await page.goto(`${url}/health`);
  await page.evaluate(
    async ({ transport, channels }) => {
      const { Client } = await import("/herald.js");
      const B = (window.B = { count: 0, total: 0, lat: [], measure: false, unrecovered: 0 });
      const c = (window.client = new Client(location.origin, { transports: [transport], pollInterval: 1000 }));
      const subs = channels.map((ch) => c.subscribe(ch));
      const onPub = (p) => {
        B.count++;
        B.total++;
        if (B.measure) B.lat.push(performance.timeOrigin + performance.now() - p.data.t);
      };
      for (const s of subs) {
        s.on("publication", onPub);
        s.on("unrecovered", () => B.unrecovered++);
      }
      await Promise.all(subs.map((s) => s.ready));
    },
    { transport, channels },
  );
  return page;
}

/** Waits (at most `seconds`) until the tab has received everything published so far: a run
 *  must not start with the backlog of an earlier one that the tab could not keep up with. */
async function drain(page, pub, seconds = 120) {
  const deadline = now() + seconds * 1000;
  while (now() < deadline && (await page.evaluate(() => window.B.total)) < pub.total) await sleep(50);
}

async function runAt(page, pub, channels, rate, measure) {
  await drain(page, pub);
  await page.evaluate((m) => Object.assign(window.B, { count: 0, lat: [], measure: m, unrecovered: 0 }), measure);
  const t0 = now();
  const sent = await pub.run(channels, rate, STEP);
  const sendSeconds = (now() - t0) / 1000;
  const deadline = now() + SETTLE * 1000;
  let got = 0;
  for (;;) {
    got = await page.evaluate(() => window.B.count);
    if (got >= sent || now() > deadline) break;
    await sleep(20);
  }
  const b = await page.evaluate(() => ({ lat: window.B.lat, unrecovered: window.B.unrecovered }));
  return { rate, sent, achieved: sent / sendSeconds, got, kept: got === sent && b.unrecovered === 0, lat: b.lat };
}

function pct(list, q) {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

async function main() {
  const out = { date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, cpu: os.cpus()[0].model, subs: SUBS, step: STEP, settle: SETTLE };
  out.sizes = await sizes();
  const herald = await startHerald({ args: ["--history-size", "100000", "--set", "limits.publish_rate=10000000"] });
  const browser = await launchChromium();
  out.chromium = browser.context.browser() ? browser.context.browser().version() : "chromium";
  out.transports = {};
  try {
    for (const transport of TRANSPORTS) {
      const channels = Array.from({ length: SUBS }, (_, i) => `public:bench-${transport}-${i}`);
      const page = await tab(browser.context, herald.url, transport, channels);
      const pub = new Publisher(herald.url);
      await pub.open();
      const steps = [];
      let best = null;
      for (let rate = 250; rate <= MAX_RATE; rate *= 2) {
        const r = await runAt(page, pub, channels, rate, false);
        steps.push({ rate, sent: r.sent, achieved: Math.round(r.achieved), got: r.got, kept: r.kept });
        console.error(`${transport}: ${rate}/s -> sent ${r.sent} (${Math.round(r.achieved)}/s), got ${r.got}, kept ${r.kept}`);
        if (!r.kept || r.achieved < rate * 0.9) break;
        best = r;
      }
      const half = best ? Math.max(1, Math.floor(best.rate / 2)) : 125;
      await sleep(1000);
      const lat = await runAt(page, pub, channels, half, true);
      out.transports[transport] = {
        sustained: best ? best.rate : null,
        sustainedAchieved: best ? Math.round(best.achieved) : null,
        latencyRate: half,
        latencyMs: { p50: pct(lat.lat, 0.5), p99: pct(lat.lat, 0.99), max: pct(lat.lat, 1), n: lat.lat.length },
        steps,
      };
      console.error(`${transport}: sustained ${best ? best.rate : "-"}/s; at ${half}/s p50 ${pct(lat.lat, 0.5).toFixed(2)} ms p99 ${pct(lat.lat, 0.99).toFixed(2)} ms`);
      pub.close();
      await page.evaluate(() => window.client.close());
      await page.close();
    }
  } finally {
    await browser.close();
    await herald.stop();
  }
  const text = JSON.stringify(out, null, 2);
  if (args.json) fs.writeFileSync(args.json, text + "\n");
  console.log(text);
}

await main();
