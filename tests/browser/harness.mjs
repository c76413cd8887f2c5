// Node counterpart of tests/e2e/harness.py: starts the real herald binary on a free loopback
// port (port 0; the port is read from "herald listening on http://127.0.0.1:PORT/"), stops it
// with SIGTERM and fails when it crashed or a sanitizer spoke. Also: a TCP proxy that can cut
// every connection or refuse WebSocket upgrades (a network that blocks WebSocket), a publisher
// over the HTTP API, Chromium through playwright-core, and event-driven waits with deadlines.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = process.env.HERALD_SOURCE || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export function heraldBin() {
  if (process.env.HERALD_BIN) return process.env.HERALD_BIN;
  for (const cand of ["build/asan/herald", "build/release/herald", "build/debug/herald"]) {
    const p = path.join(ROOT, cand);
    if (fs.existsSync(p)) return p;
  }
  throw new Error("herald binary not found: set HERALD_BIN");
}

const LISTENING = /herald listening on http:\/\/127\.0\.0\.1:(\d+)\//;

/** Polls `fn` until it returns a truthy value; rejects with `what` after `timeout` ms. */
export async function waitFor(fn, { timeout = 30000, what = "condition", every = 20 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export class Herald {
  constructor(proc, port, logPath, dir) {
    this.proc = proc;
    this.port = port;
    this.logPath = logPath;
    this.dir = dir;
    this.exited = new Promise((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  log() {
    return fs.readFileSync(this.logPath, "utf8");
  }
  alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
  async publish(channel, data) {
    const r = await fetch(`${this.url}/api/publish`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel, data }),
    });
    if (r.status !== 200) throw new Error(`publish: HTTP ${r.status} ${await r.text()}`);
    return r.json();
  }
  /** Sends `sig` and waits for the exit; checks the log for sanitizer reports. */
  async stop(sig = "SIGTERM", timeout = 20000) {
    if (this.alive()) {
      this.proc.kill(sig);
      const t = setTimeout(() => this.proc.kill("SIGKILL"), timeout);
      await this.exited;
      clearTimeout(t);
    }
    const res = await this.exited;
    const log = this.log();
    if (/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/.test(log)) {
      throw new Error("sanitizer report in herald's log:\n" + log.slice(-8000));
    }
    if (sig !== "SIGKILL" && !(res.code === 0 || res.signal === "SIGTERM")) {
      throw new Error(`herald exited with ${JSON.stringify(res)}:\n${log.slice(-8000)}`);
    }
    return res;
  }
}

/** Starts `herald serve --listen 127.0.0.1:PORT ARGS...` (PORT 0 unless `port` is given). */
export async function startHerald({ args = [], config = null, port = 0, timeout = 20000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-browser-"));
  const cmd = ["serve", "--listen", `127.0.0.1:${port}`];
  if (config !== null) {
    fs.writeFileSync(path.join(dir, "herald.toml"), config);
    cmd.push("--config", path.join(dir, "herald.toml"));
  }
  cmd.push(...args);
  const logPath = path.join(dir, "herald.log");
  const out = fs.openSync(logPath, "w");
  const env = { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || "detect_leaks=1:abort_on_error=0" };
  const proc = spawn(heraldBin(), cmd, { stdio: ["ignore", out, out], env });
  fs.closeSync(out);
  const h = new Herald(proc, 0, logPath, dir);
  await waitFor(
    async () => {
      if (!h.alive()) throw new Error(`herald exited early:\n${h.log()}`);
      if (!h.port) {
        const m = LISTENING.exec(h.log());
        if (m) h.port = Number(m[1]);
      }
      if (!h.port) return false;
      try {
        return (await fetch(`${h.url}/health`)).status === 200;
      } catch {
        return false;
      }
    },
    { timeout, what: "herald to listen" },
  );
  return h;
}

/**
 * A TCP proxy in front of herald: `mode` "pass" forwards everything; "refuse-ws" answers a
 * WebSocket upgrade with 403 (a proxy that forbids WebSocket); "hang-ws" accepts it and never
 * answers (a proxy that swallows it: the client's open timeout must fire). `cut()` resets every
 * connection open now: a network drop without a server restart.
 */
export class Proxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.mode = "pass";
    this.sockets = new Set();
    this.upgrades = 0; // WebSocket upgrades passed through
    this.refused = 0; // WebSocket upgrades refused or swallowed
    this.wsPairs = new Set(); // {client, upstream} of WebSocket connections passed through
    this.accepted = 0; // connections accepted
  }
  async listen() {
    this.server = net.createServer((c) => this._accept(c));
    await new Promise((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = this.server.address().port;
    return this;
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  _track(s) {
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
    s.on("error", () => {});
  }
  _accept(client) {
    this.accepted++;
    this._track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      if (head.indexOf("\r\n\r\n") < 0 && head.length < 65536) return;
      client.off("data", onData);
      client.pause();
      const isWs = /^upgrade:\s*websocket/im.test(head.toString("latin1"));
      if (isWs && this.mode !== "pass") {
        this.refused++;
        if (this.mode === "refuse-ws") {
          client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        return; // hang-ws: hold it open, say nothing
      }
      if (isWs) this.upgrades++;
      const upstream = net.connect(this.targetPort, "127.0.0.1");
      this._track(upstream);
      upstream.setNoDelay(true);
      client.setNoDelay(true);
      upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      const pair = { client, upstream };
      if (isWs) this.wsPairs.add(pair);
      const kill = () => {
        this.wsPairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("close", kill);
      upstream.on("close", kill);
    };
    client.on("data", onData);
  }
  /** Ends every WebSocket through the proxy with a server close frame (code, reason), as a
   *  server that closes with that code would, and drops the server side. */
  injectClose(code, reason) {
    for (const { client, upstream } of [...this.wsPairs]) {
      upstream.unpipe(client);
      upstream.destroy();
      const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason, "utf8")]);
      client.end(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
    }
  }

  /** Resets every connection through the proxy now. */
  cut() {
    for (const s of this.sockets) s.resetAndDestroy ? s.resetAndDestroy() : s.destroy();
  }
  async close() {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

/** Chromium from Debian, driven by playwright-core, with a fresh profile. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/** A new page that records console errors and uncaught exceptions in `page.problems`.
 *  `networkErrors`: also record Chromium's own "WebSocket connection ... failed" and failed
 *  loads (false in tests whose point is a blocked or dropped network, where they are the
 *  expected noise of the scenario, not the page's). The favicon a JSON page lacks is ignored. */
export async function newPage(context, { networkErrors = true } = {}) {
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = (m.location() && m.location().url) || "";
    if (url.endsWith("/favicon.ico")) return;
    const network = /^WebSocket connection to .* failed|^Failed to load resource/.test(m.text());
    if (network && !networkErrors) return;
    page.problems.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  return page;
}

/** Publishes `n` messages {i} to `channel` one after the other; returns the answers. */
export async function publishMany(herald, channel, n, from = 0) {
  const out = [];
  for (let i = from; i < from + n; i++) out.push(await herald.publish(channel, { i }));
  return out;
}
