// herald.js: the JavaScript client of herald (docs/client.md).
//
// One dependency-free ES module for browsers and Node >= 20. It speaks the four transports of
// the server (WebSocket `herald.v1`, Server-Sent Events, long-poll, short poll), falls back
// from one to the next, upgrades back, reconnects with exponential backoff and full jitter,
// and resumes every subscription from its last cursor so that an application sees each offset
// once, in order, or an `unrecovered` event: never a silent gap.
//
// How the pieces fit: a Client owns Subscriptions (the application's view, with their cursor)
// and at most one live Transport (the wire). A transport reports what it learns through a
// small set of host callbacks (_tOpen, _tClose, _tPosition, _tPublication, ...); the client
// alone decides what the application sees, so the dedupe-and-order rule lives in one place
// (Subscription._accept) whatever the transport.

export const VERSION = "0.1.0";

/** Errors carry herald's numeric code (400, 401, 403, 404, 409, 429, 503...) or a local one:
 *  "timeout", "disconnected", "closed", "transport". */
export class HeraldError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "HeraldError";
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for tests and for applications that keep cursors themselves).

/** Full-jitter exponential backoff: a delay drawn uniformly from [0, min(max, min * 2^attempt)],
 *  never below `floor`. `random` is injectable so tests can pin the bounds. */
export function backoffDelay(attempt, { min = 250, max = 10000, floor = 50 } = {}, random = Math.random) {
  const cap = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.max(floor, Math.floor(random() * cap));
}

/** What a WebSocket close code asks of the client: "reconnect", "fatal" (4500-4999: do not
 *  reconnect), "token" (4005: fetch a fresh token, then reconnect) or "drain" (4001: the
 *  server is going away; reconnect soon, without growing the backoff). */
export function closeAction(code) {
  if (code === 4005) return "token";
  if (code === 4001) return "drain";
  if (code >= 4500 && code <= 4999) return "fatal";
  return "reconnect";
}

/** Parses "epoch:offset" into {epoch, offset}; null when it is not one. */
export function parseCursor(text) {
  if (typeof text !== "string") return null;
  const m = /^([A-Za-z0-9]{1,16}):(0|[1-9][0-9]{0,15})$/.exec(text);
  return m ? { epoch: m[1], offset: Number(m[2]) } : null;
}

export function formatCursor(c) {
  return `${c.epoch}:${c.offset}`;
}

function b64urlEncode(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A push's payload: its JSON `data`, or the bytes of a binary publication (a Uint8Array
 *  decoded from its `b64`; docs/protocol.md, "Binary payloads"). */
function payloadOf(msg) {
  if (typeof msg.b64 !== "string") return msg.data;
  const bin = atob(msg.b64);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** A WebSocket binary frame as herald reads and writes it: a JSON object, one NUL byte, then
 *  the payload bytes. */
function splitBinaryFrame(buf) {
  const bytes = new Uint8Array(buf);
  const nul = bytes.indexOf(0);
  if (nul < 0) return null;
  try {
    return { msg: JSON.parse(new TextDecoder().decode(bytes.subarray(0, nul))), bytes: bytes.slice(nul + 1) };
  } catch {
    return null;
  }
}

function joinBinaryFrame(obj, bytes) {
  const head = new TextEncoder().encode(JSON.stringify(obj));
  const out = new Uint8Array(head.length + 1 + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length + 1); // out[head.length] stays 0: the separator
  return out;
}

function b64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

/** Encodes a Map channel -> {epoch, offset} as herald's multi-channel cursor ("m1." +
 *  base64url of "channel epoch:offset" entries joined by ","), the form an SSE stream or a poll
 *  over several channels resumes from (docs/protocol.md, "Multi-channel cursor"). */
export function encodeMultiCursor(cursors) {
  const entries = [];
  for (const [channel, c] of cursors) entries.push(`${channel} ${c.epoch}:${c.offset}`);
  return "m1." + b64urlEncode(entries.join(","));
}

/** Decodes a cursor the server issued (single "epoch:offset" for `channels[0]`, or "m1.")
 *  into a Map channel -> {epoch, offset}; an empty map when it cannot be read. */
export function decodeAnyCursor(text, channels) {
  const out = new Map();
  if (typeof text !== "string" || text === "") return out;
  if (!text.startsWith("m1.")) {
    const c = parseCursor(text);
    if (c && channels && channels.length === 1) out.set(channels[0], c);
    return out;
  }
  let payload;
  try {
    payload = b64urlDecode(text.slice(3));
  } catch {
    return out;
  }
  if (payload === "") return out;
  // Entries are read left to right: a channel holds no space but may hold ',' (after '#' in a
  // user-limited channel, "dm:#alice,bob"), while epoch and offset hold neither.
  let epoch = "";
  let pos = 0;
  while (pos < payload.length) {
    const sp = payload.indexOf(" ", pos);
    if (sp <= pos) return new Map();
    const comma = payload.indexOf(",", sp + 1);
    const end = comma < 0 ? payload.length : comma;
    const tail = payload.slice(sp + 1, end);
    const colon = tail.indexOf(":");
    if (colon < 0) return new Map();
    if (colon > 0) epoch = tail.slice(0, colon);
    const offset = Number(tail.slice(colon + 1));
    if (!epoch || tail.slice(colon + 1) === "" || !Number.isSafeInteger(offset)) return new Map();
    out.set(payload.slice(pos, sp), { epoch, offset });
    pos = end + 1;
  }
  return out;
}

/** The `exp` claim of a JWT in milliseconds, or null (no exp, or not a JWT). Read without
 *  verifying: only to know when to ask for a fresh token. */
export function tokenExpiry(token) {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(b64urlDecode(parts[1]));
    return typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// A tiny event emitter: on() returns a function that removes the listener.

class Emitter {
  constructor() {
    this._listeners = new Map();
  }
  /** Adds a listener; returns a function that removes it. */
  on(event, fn) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(fn);
    return () => this.off(event, fn);
  }
  off(event, fn) {
    const set = this._listeners.get(event);
    if (set) set.delete(fn);
  }
  _emit(event, arg) {
    const set = this._listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(arg);
      } catch (err) {
        // An application callback that throws must not break the client's bookkeeping.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Subscription: the application's handle on one channel, and the keeper of its cursor.

export class Subscription extends Emitter {
  constructor(client, channel, since) {
    super();
    this.client = client;
    this.channel = channel;
    /** {epoch, offset} of the last publication delivered (or the position subscribed at). */
    this._cursor = since ? parseCursor(since) : null;
    if (since && !this._cursor) throw new HeraldError(400, "bad cursor");
    this._active = true;
    this._iterators = new Set();
    this.ready = new Promise((resolve, reject) => {
      this._resolveReady = resolve;
      this._rejectReady = reject;
    });
    this.ready.catch(() => {}); // a rejection nobody awaits is not an unhandled one
    this._isReady = false;
  }

  /** The cursor ("epoch:offset") of the last publication seen, or null before the first
   *  subscribe answer. Give it as `since` to resume later, even in another page load. */
  get cursor() {
    return this._cursor ? formatCursor(this._cursor) : null;
  }

  get active() {
    return this._active;
  }

  /** The channel's history (`limit` last publications, or those after `since`). */
  history({ since, limit } = {}) {
    return this.client.history(this.channel, { since, limit });
  }

  /** How many connections are subscribed, and the client ids of those that sent `connect`. */
  presence() {
    return this.client.presence(this.channel);
  }

  /** Stops receiving; ends every async iterator of this subscription. */
  unsubscribe() {
    this.client._removeSubscription(this);
  }

  /** The publications as an async iterator, from the moment it is created. It buffers what
   *  arrives while the loop body runs (unbounded: a consumer that never catches up grows it). */
  [Symbol.asyncIterator]() {
    const queue = [];
    let wake = null;
    const it = {
      push: (p) => {
        queue.push(p);
        if (wake) {
          const w = wake;
          wake = null;
          w();
        }
      },
      end: () => {
        it.done = true;
        if (wake) {
          const w = wake;
          wake = null;
          w();
        }
      },
      done: !this._active,
    };
    this._iterators.add(it);
    const sub = this;
    return {
      async next() {
        while (queue.length === 0 && !it.done) await new Promise((r) => (wake = r));
        if (queue.length > 0) return { value: queue.shift(), done: false };
        return { value: undefined, done: true };
      },
      async return() {
        sub._iterators.delete(it);
        it.end();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // --- bookkeeping, driven by the client -----------------------------------------------------

  /** A transport learned this channel's position: a subscribe answer, an SSE id, a poll
   *  cursor. `recovered` is given for answers to a request that carried our cursor: false when
   *  the server could not honour it (the application must reload: "unrecovered"). */
  _position(c, recovered) {
    if (!this._active) return;
    const had = this._cursor;
    if (recovered === false && had) {
      this._cursor = { epoch: c.epoch, offset: c.offset };
      this._emit("unrecovered", { channel: this.channel, since: formatCursor(had), cursor: formatCursor(c) });
    } else if (!had || (had.epoch !== c.epoch && recovered !== true)) {
      this._cursor = { epoch: c.epoch, offset: c.offset };
    }
    // Otherwise our cursor stands. A subscribe answer that says "recovered" names the
    // stream's end, and the replayed publications follow: taking its offset would drop them as
    // duplicates. A position ahead of ours in the same epoch (an SSE id or a poll cursor
    // naming publications we never got) is not taken either: the next publication then shows
    // a gap, and the client resumes from what it really has.
  }

  /** One publication from a transport. Delivered when it is the next offset; a duplicate
   *  (offset already seen, e.g. after a transport switch) is dropped; a gap is reported as
   *  "gap" so the client resynchronises from the cursor instead of skipping silently. */
  _accept(offset, data) {
    if (!this._active) return "inactive";
    const c = this._cursor;
    if (c && offset <= c.offset) return "duplicate";
    if (c && offset !== c.offset + 1) return "gap";
    this._cursor = { epoch: c ? c.epoch : "", offset };
    const p = { channel: this.channel, offset, data, binary: data instanceof Uint8Array };
    this._emit("publication", p);
    for (const it of this._iterators) it.push(p);
    return "delivered";
  }

  _markReady() {
    if (this._isReady) return;
    this._isReady = true;
    this._resolveReady(this);
    this._emit("subscribed", { channel: this.channel, cursor: this.cursor });
  }

  _fail(err) {
    this._emit("error", err);
    if (!this._isReady) this._rejectReady(err);
    this._end();
  }

  _end() {
    this._active = false;
    for (const it of this._iterators) it.end();
    this._iterators.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Transports. Each one opens, keeps the client's subscriptions on the wire (sync()), reports
// through the host callbacks, and closes. Only the current transport's reports are heeded.

const MAX_CHANNELS_PER_STREAM = 64; // poll.max_channels: one SSE stream or poll names <= 64

function chunk(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

class WebSocketTransport {
  constructor(client) {
    this.name = "websocket";
    this.client = client;
    this.ws = null;
    this.opened = false;
    this.closed = false;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, timer}
    this.channels = new Map(); // channel -> "pending" | "subscribed"
  }

  open() {
    const c = this.client;
    const Impl = c._opts.WebSocket || globalThis.WebSocket;
    if (!Impl) return c._tClose(this, { opened: false, action: "reconnect", reason: "no WebSocket implementation" });
    let ws;
    try {
      ws = new Impl(c._wsUrl(), "herald.v1");
    } catch (err) {
      return c._tClose(this, { opened: false, action: "reconnect", reason: String(err) });
    }
    this.ws = ws;
    this.openTimer = setTimeout(() => this._fail("open timeout"), c._opts.openTimeout);
    ws.onopen = () => this._onOpen();
    ws.binaryType = "arraybuffer"; // binary pushes (a browser's default would be Blob)
    ws.onmessage = (ev) => this._onMessage(ev.data);
    ws.onclose = (ev) => this._onClose(ev.code, ev.reason);
    ws.onerror = () => {}; // a close event always follows
  }

  async _onOpen() {
    clearTimeout(this.openTimer);
    if (this.closed) return;
    const token = this.client._token;
    if (token) {
      try {
        const r = await this.request({ op: "connect", token });
        this.clientId = r.client;
      } catch (err) {
        if (this.closed) return;
        // A refused token: the server closes with 4500 too; say why now and do not retry.
        this.close();
        return this.client._tClose(this, { opened: true, action: "fatal", code: err.code, reason: err.message });
      }
    }
    if (this.closed) return;
    this.opened = true;
    this.client._tOpen(this);
  }

  _onMessage(raw) {
    let msg;
    let bytes;
    if (typeof raw === "string") {
      try {
        msg = JSON.parse(raw);
      } catch {
        return;
      }
    } else {
      // A binary push: {"channel":"c","offset":N}, NUL, the publication's bytes.
      const f = splitBinaryFrame(raw);
      if (!f) return;
      msg = f.msg;
      bytes = f.bytes;
    }
    if (typeof msg.id === "number" && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new HeraldError(msg.error.code, msg.error.message));
      else p.resolve(msg.result);
      return;
    }
    if (typeof msg.channel === "string" && typeof msg.offset === "number") {
      // Pushes before the subscribe answer belong to an earlier subscription of the channel
      // on this socket (the server puts the answer before every push of a new one).
      if (this.channels.get(msg.channel) !== "subscribed") return;
      this.client._tPublication(this, msg.channel, msg.offset, bytes || payloadOf(msg));
      return;
    }
    if (typeof msg.channel === "string" && msg.recovered === false) {
      // The server's engine lost the stream (cluster mode: Redis came back empty): the same
      // answer a resubscribe with our cursor would get, so the application reloads.
      const c = parseCursor(msg.cursor);
      if (c && this.channels.get(msg.channel) === "subscribed")
        this.client._tPosition(this, msg.channel, c, false);
      return;
    }
    if (msg.error) this.client._emit("error", new HeraldError(msg.error.code, msg.error.message));
  }

  _onClose(code, reason) {
    clearTimeout(this.openTimer);
    const wasOpen = this.opened;
    this._teardown();
    if (this.reported) return;
    this.reported = true;
    this.client._tClose(this, { opened: wasOpen, action: closeAction(code), code, reason });
  }

  _fail(reason) {
    if (this.closed) return;
    const wasOpen = this.opened;
    this.close();
    if (this.reported) return;
    this.reported = true;
    this.client._tClose(this, { opened: wasOpen, action: "reconnect", reason });
  }

  _teardown() {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new HeraldError("disconnected", "connection closed before the reply"));
    }
    this.pending.clear();
    this.channels.clear();
  }

  close() {
    if (this.closed && !this.ws) return;
    clearTimeout(this.openTimer);
    this._teardown();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null; // no callback reaches us after this
      try {
        ws.close(1000);
      } catch {
        /* not open yet */
      }
    }
  }

  /** Sends one command and resolves with its result (rejects with its error or a timeout). */
  request(cmd, timeout = this.client._opts.timeout) {
    return new Promise((resolve, reject) => {
      if (this.closed || !this.ws) return reject(new HeraldError("disconnected", "not connected"));
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HeraldError("timeout", `no reply to ${cmd.op} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      // A command with bytes goes as a binary frame: the command, NUL, the bytes.
      const { bytes, ...rest } = cmd;
      this.ws.send(bytes ? joinBinaryFrame({ id, ...rest }, bytes) : JSON.stringify({ id, ...cmd }));
    });
  }

  /** Subscribes what the client holds and this socket does not, unsubscribes the rest. */
  sync() {
    if (!this.opened || this.closed) return;
    const subs = this.client._subs;
    for (const [channel, sub] of subs) {
      if (this.channels.has(channel)) continue;
      this.channels.set(channel, "pending");
      const cmd = { op: "subscribe", channel };
      if (sub._cursor) cmd.since = formatCursor(sub._cursor);
      this.request(cmd).then(
        (r) => {
          if (this.channels.get(channel) !== "pending") return;
          this.channels.set(channel, "subscribed");
          const c = parseCursor(r.cursor);
          if (c) this.client._tPosition(this, channel, c, cmd.since ? r.recovered : undefined);
          this.client._tReady(this, channel);
        },
        (err) => {
          if (this.closed) return;
          this.channels.delete(channel);
          this.client._tSubscribeError(this, channel, err);
        },
      );
    }
    for (const channel of [...this.channels.keys()]) {
      if (subs.has(channel)) continue;
      this.channels.delete(channel);
      this.request({ op: "unsubscribe", channel }).catch(() => {});
    }
  }

  /** A fresh token for a live connection (before the old one expires). */
  refresh(token) {
    return this.request({ op: "refresh", token });
  }
}

class SseTransport {
  constructor(client) {
    this.name = "sse";
    this.client = client;
    this.streams = [];
    this.opened = false;
    this.closed = false;
    this.syncTimer = null;
    this.generation = 0;
  }

  open() {
    this._start();
    this.openTimer = setTimeout(() => {
      if (!this.opened) this._fail("open timeout");
    }, this.client._opts.openTimeout);
  }

  async _start() {
    const c = this.client;
    const Impl = c._opts.EventSource || globalThis.EventSource;
    if (!Impl) return this._fail("no EventSource implementation");
    const gen = ++this.generation;
    const channels = [...c._subs.keys()];
    this.channels = new Set(channels);
    // Subscriptions "from now" get their position first, from a short poll: EventSource hides
    // the id of an event without data, so the stream alone would not say where a channel
    // started, and a reconnect before its first publication could not resume it.
    const unknown = channels.filter((ch) => !c._subs.get(ch)._cursor);
    for (const group of chunk(unknown, MAX_CHANNELS_PER_STREAM)) {
      const res = await c._pollPositions(group);
      if (this.closed || gen !== this.generation) return;
      if (res.refused) {
        c._tSubscribeError(this, res.refused.channel, res.refused.error);
        return this._start();
      }
      if (res.error) {
        const code = res.error.code;
        return this._fail(res.error.message, code === 401 ? "token" : "reconnect", code);
      }
      for (const [channel, cur] of res.positions) c._tPosition(this, channel, cur);
    }
    if (channels.length === 0) {
      // Nothing to stream: the transport is open once the server answers.
      const r = await c._fetch(c._base + "/health", { cache: "no-store" }).catch(() => null);
      if (this.closed || gen !== this.generation) return;
      return r && r.ok ? this._markOpen() : this._fail("server not reachable");
    }
    const live = channels.filter((ch) => c._subs.has(ch));
    for (const group of chunk(live, MAX_CHANNELS_PER_STREAM)) {
      const url = c._httpUrl("/sse", group, c._sinceFor(group));
      const es = new Impl(url);
      const stream = { es, group, seenOpen: false };
      this.streams.push(stream);
      es.onopen = () => {
        stream.seenOpen = true;
        this._markOpen();
        // The stream is accepted: every channel of it is subscribed.
        for (const ch of group) c._tReady(this, ch);
      };
      es.onmessage = (ev) => this._onEvent(stream, ev);
      es.addEventListener("recovery", (ev) => this._onRecovery(stream, ev));
      es.addEventListener("reconnect", () => this._fail("server asked to reconnect", "drain"));
      // The operator ended this client for good (POST /api/disconnect with reconnect: false).
      es.addEventListener("disconnect", () => this._fail("disconnected", "fatal", 4506));
      es.onerror = () => this._onError(stream);
    }
  }

  _markOpen() {
    if (this.opened || this.closed) return;
    this.opened = true;
    clearTimeout(this.openTimer);
    this.client._tOpen(this);
  }

  _onEvent(stream, ev) {
    if (this.closed) return;
    let msg = null;
    if (ev.data) {
      try {
        msg = JSON.parse(ev.data);
      } catch {
        msg = null;
      }
    }
    if (!msg || typeof msg.channel !== "string" || typeof msg.offset !== "number") return;
    const sub = this.client._subs.get(msg.channel);
    if (sub && !sub._cursor && ev.lastEventId) {
      // Every channel's position is known before the stream opens (since, or a short poll), so
      // this is a safety net; the id (decoded only here: for 64 channels it is ~2 KB of
      // base64) names the channel's epoch.
      const c = decodeAnyCursor(ev.lastEventId, stream.group).get(msg.channel);
      if (c) this.client._tPosition(this, msg.channel, { epoch: c.epoch, offset: msg.offset - 1 });
    }
    this.client._tPublication(this, msg.channel, msg.offset, payloadOf(msg));
  }

  _onRecovery(stream, ev) {
    if (this.closed) return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    const c = parseCursor(msg.cursor);
    if (c && msg.recovered === false) this.client._tPosition(this, msg.channel, c, false);
  }

  async _onError(stream) {
    // EventSource would reconnect by itself with Last-Event-ID; we close it and reconnect
    // ourselves from the subscriptions' cursors, so every transport resumes the same way.
    if (this.closed) return;
    if (this.opened && stream.seenOpen) return this._fail("stream ended");
    // The stream was refused before it opened: EventSource hides the status, a short poll of
    // the same channels shows it (the same access rules answer both).
    for (const s of this.streams) s.es.close();
    const why = await this.client._probeRefusal(stream.group);
    if (this.closed) return;
    if (why && why.channel) {
      this.client._tSubscribeError(this, why.channel, why.error);
      return this._restart();
    }
    if (why && why.error) return this._fail(why.error.message, why.error.code === 401 ? "token" : "reconnect", why.error.code);
    this._fail("stream refused");
  }

  _restart() {
    for (const s of this.streams) s.es.close();
    this.streams = [];
    if (!this.closed) this._start();
  }

  sync() {
    if (this.closed || this.syncTimer) return;
    // Coalesce a burst of subscribe/unsubscribe calls into one new stream.
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      const want = [...this.client._subs.keys()];
      const same = this.channels && want.length === this.channels.size && want.every((ch) => this.channels.has(ch));
      if (!same) this._restart();
    }, 0);
  }

  _fail(reason, action = "reconnect", code) {
    if (this.closed) return;
    const wasOpen = this.opened;
    this.close();
    this.client._tClose(this, { opened: wasOpen, action, reason, code });
  }

  close() {
    this.closed = true;
    clearTimeout(this.openTimer);
    clearTimeout(this.syncTimer);
    for (const s of this.streams) s.es.close();
    this.streams = [];
  }
}

class PollTransport {
  constructor(client, long) {
    this.name = long ? "long-poll" : "poll";
    this.long = long;
    this.client = client;
    this.opened = false;
    this.closed = false;
    this.inflight = new Set();
    this.timer = null;
    this.generation = 0;
  }

  open() {
    this._cycle();
  }

  _cycle() {
    if (this.closed) return;
    const gen = ++this.generation;
    for (const a of this.inflight) a.abort();
    this.inflight.clear();
    clearTimeout(this.timer);
    const channels = [...this.client._subs.keys()];
    this.channels = new Set(channels);
    if (channels.length === 0) {
      // Nothing to poll; check the server is there so "connected" means something.
      return this._request("/health", null, gen).then((r) => {
        if (r && !this.opened && gen === this.generation) {
          this.opened = true;
          this.client._tOpen(this);
        }
      });
    }
    // One loop per group of 64 channels, each at its own pace: a group whose long-poll is held
    // does not hold back another that has something to deliver.
    const groups = chunk(channels, MAX_CHANNELS_PER_STREAM);
    let pending = groups.length;
    for (const group of groups) {
      this._groupLoop(group, gen, () => {
        if (--pending === 0 && !this.opened && gen === this.generation) {
          // Connected first, then the subscriptions are ready: who awaits `ready` finds the
          // client connected.
          this.opened = true;
          this.client._tOpen(this);
          for (const ch of channels) this.client._tReady(this, ch);
        }
      });
    }
  }

  async _groupLoop(group, gen, firstAnswer) {
    let first = true;
    while (!this.closed && gen === this.generation) {
      const res = await this._pollGroup(group, gen);
      if (!res || this.closed || gen !== this.generation) return;
      if (first) {
        first = false;
        firstAnswer();
      }
      if (this.opened) for (const ch of group) this.client._tReady(this, ch);
      // A long-poll goes again at once (it waits at the server); a short poll waits here.
      if (!this.long) await new Promise((r) => setTimeout(r, this.client._opts.pollInterval));
    }
  }

  async _pollGroup(group, gen) {
    const c = this.client;
    // A channel without a position is asked for it first with an immediate answer: a long-poll
    // without `since` would wait for the next publication before saying where the stream is.
    const positioned = group.every((ch) => c._subs.has(ch) && c._subs.get(ch)._cursor);
    const wait = this.long && this.opened && positioned ? c._opts.longPollWait : 0;
    const res = await this._request("/poll", { group, wait }, gen);
    if (!res || this.closed || gen !== this.generation) return null;
    const pos = decodeAnyCursor(res.cursor, group);
    for (const channel of res.unrecovered || []) {
      if (pos.has(channel)) c._tPosition(this, channel, pos.get(channel), false);
    }
    for (const m of res.messages || []) {
      const sub = c._subs.get(m.channel);
      if (sub && !sub._cursor && pos.has(m.channel)) {
        c._tPosition(this, m.channel, { epoch: pos.get(m.channel).epoch, offset: m.offset - 1 });
      }
      if (!c._tPublication(this, m.channel, m.offset, payloadOf(m))) return null;
    }
    for (const [channel, cur] of pos) c._tPosition(this, channel, cur);
    return res;
  }

  async _request(path, q, gen) {
    const c = this.client;
    const ctl = new AbortController();
    this.inflight.add(ctl);
    const waitMs = q ? q.wait * 1000 : 0;
    const timer = setTimeout(() => ctl.abort(), waitMs + c._opts.timeout);
    try {
      const url = q ? c._httpUrl(path, q.group, c._sinceFor(q.group), q.wait ? { wait: String(q.wait) } : null) : c._base + path;
      const r = await c._fetch(url, { signal: ctl.signal, cache: "no-store" });
      const body = await r.json().catch(() => null);
      if (this.closed || gen !== this.generation) return null;
      if (r.status === 200 && body) return body;
      const err = new HeraldError(body && body.error ? body.error.code : r.status, body && body.error ? body.error.message : `HTTP ${r.status}`);
      if (q && (r.status === 403 || r.status === 400) && q.group.length > 0) {
        // Find the channel at fault by asking for each alone, then drop it and go on.
        const why = await c._probeRefusal(q.group);
        if (this.closed || gen !== this.generation) return null;
        if (why && why.channel) {
          c._tSubscribeError(this, why.channel, why.error);
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this._cycle(), 0);
          return null;
        }
      }
      this._fail(err.message, r.status === 401 ? "token" : r.status >= 500 ? "reconnect" : "fatal", err.code);
      return null;
    } catch (err) {
      if (this.closed || gen !== this.generation) return null;
      this._fail(ctl.signal.aborted ? "poll timeout" : String(err));
      return null;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ctl);
    }
  }

  sync() {
    if (!this.opened || this.closed) return;
    // Coalesce, then ask again at once with the new channel list (a held long-poll is cut).
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const want = [...this.client._subs.keys()];
      const same = want.length === this.channels.size && want.every((ch) => this.channels.has(ch));
      if (!same) this._cycle();
    }, 0);
  }

  _fail(reason, action = "reconnect", code) {
    if (this.closed) return;
    const wasOpen = this.opened;
    this.close();
    this.client._tClose(this, { opened: wasOpen, action, reason, code });
  }

  close() {
    this.closed = true;
    this.generation++;
    clearTimeout(this.timer);
    for (const a of this.inflight) a.abort();
    this.inflight.clear();
  }
}

const TRANSPORTS = {
  websocket: (c) => new WebSocketTransport(c),
  sse: (c) => new SseTransport(c),
  "long-poll": (c) => new PollTransport(c, true),
  poll: (c) => new PollTransport(c, false),
};

// ---------------------------------------------------------------------------------------------
// Client

const DEFAULTS = {
  transports: ["websocket", "sse", "long-poll", "poll"],
  timeout: 10000, // ms for every command (publish, history, presence, subscribe)
  openTimeout: 5000, // ms for a transport to open before the next one is tried
  backoff: { min: 250, max: 10000 }, // full-jitter exponential reconnect delays
  upgradeInterval: 15000, // ms between tries of a better transport while on a fallback (0: never)
  longPollWait: 25, // s a long-poll is held at the server
  pollInterval: 1000, // ms between short polls
  tokenRefreshMargin: 15000, // ms before `exp` that a fresh token is fetched
};

export class Client extends Emitter {
  /**
   * @param {string} url  the server, e.g. "https://host:8080" (in a page, defaults to its origin)
   * @param {object} opts see herald.d.ts (ClientOptions)
   */
  constructor(url, opts = {}) {
    super();
    if (url === undefined && typeof location !== "undefined") url = location.origin;
    this._base = String(url).replace(/\/+$/, "");
    this._opts = { ...DEFAULTS, ...opts, backoff: { ...DEFAULTS.backoff, ...(opts.backoff || {}) } };
    for (const t of this._opts.transports) {
      if (!TRANSPORTS[t]) throw new HeraldError(400, `unknown transport ${t}`);
    }
    this._token = opts.token || null;
    this._subs = new Map(); // channel -> Subscription
    this._state = "disconnected";
    this._transport = null;
    this._index = 0; // the transport tried or in use
    this._attempt = 0; // failed connection attempts since the last success
    this._failedInRow = 0; // transports that failed to open in this round
    this._timers = new Set();
    this._probe = null;
    this._waiters = new Set(); // commands waiting for a connection
    this._hooks = [];
    this.stats = { connects: 0, fallbacks: 0, upgrades: 0, gaps: 0 };
    this._installHints();
    // Connect after the code that made the client has run: its listeners see "connecting",
    // and the subscriptions it makes at once go out together (one SSE stream, one poll).
    this._state = "connecting";
    this._announced = false;
    queueMicrotask(() => this._connect());
  }

  /** "connecting" | "connected" | "disconnected" | "closed". */
  get state() {
    return this._state;
  }

  /** The name of the transport in use, or null when not connected. */
  get transport() {
    return this._state === "connected" && this._transport ? this._transport.name : null;
  }

  /** Subscribes to `channel`; `since` ("epoch:offset") resumes after that publication. */
  subscribe(channel, { since } = {}) {
    if (this._state === "closed") throw new HeraldError("closed", "client is closed");
    if (this._subs.has(channel)) throw new HeraldError(409, "already subscribed");
    const sub = new Subscription(this, channel, since);
    this._subs.set(channel, sub);
    if (this._transport) this._transport.sync();
    return sub;
  }

  /** The subscription of `channel`, if any. */
  getSubscription(channel) {
    return this._subs.get(channel) || null;
  }

  /** Publishes `data` (any JSON, or bytes: a Uint8Array or ArrayBuffer, sent as a WebSocket
   *  binary frame or an application/octet-stream body) to `channel`; resolves {offset, epoch}. */
  publish(channel, data) {
    if (data instanceof ArrayBuffer) data = new Uint8Array(data);
    if (ArrayBuffer.isView(data)) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      return this._command({ op: "publish", channel, bytes }, (h) =>
        h("POST", "/api/publish", { channel }, bytes, "application/octet-stream"),
      );
    }
    return this._command({ op: "publish", channel, data }, (h) =>
      h("POST", "/api/publish", null, JSON.stringify({ channel, data })),
    );
  }

  /** History of `channel`: {publications: [{offset, data, binary}], cursor, recovered?}; a
   *  binary publication's data is a Uint8Array. */
  async history(channel, { since, limit } = {}) {
    const cmd = { op: "history", channel };
    const q = { channel };
    if (since !== undefined) cmd.since = q.since = since;
    if (limit !== undefined) cmd.limit = q.limit = limit;
    const res = await this._command(cmd, (h) => h("GET", "/api/history", q));
    res.publications = res.publications.map((p) => {
      const data = payloadOf(p);
      return { offset: p.offset, data, binary: data instanceof Uint8Array };
    });
    return res;
  }

  /** Presence of `channel`: {connections, clients}. */
  presence(channel) {
    return this._command({ op: "presence", channel }, (h) => h("GET", "/api/presence", { channel }));
  }

  /** Closes the connection for good: no reconnect; subscriptions end. */
  close() {
    if (this._state === "closed") return;
    this._stopTransport();
    this._stopProbe();
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    for (const undo of this._hooks) undo();
    for (const sub of this._subs.values()) sub._end();
    this._subs.clear();
    for (const w of this._waiters) w(new HeraldError("closed", "client is closed"));
    this._setState("closed");
  }

  /** Drops the connection and reconnects now (what `online` and page visibility do). */
  reconnect() {
    if (this._state === "closed") return;
    this._stopTransport();
    this._attempt = 0;
    this._connect();
  }

  // --- connection management -----------------------------------------------------------------

  _setState(s) {
    if (this._state === s) return;
    this._state = s;
    this._emit("state", s);
  }

  _later(fn, ms) {
    const t = setTimeout(() => {
      this._timers.delete(t);
      fn();
    }, ms);
    this._timers.add(t);
    return t;
  }

  async _connect() {
    if (this._state === "closed") return;
    if (!this._announced) {
      this._announced = true; // the constructor set "connecting" before anyone listened
      this._emit("state", "connecting");
    }
    this._setState("connecting");
    if (!this._token && this._opts.getToken) {
      if (!(await this._fetchToken())) return;
    } else if (this._opts.getToken && this._tokenExpiring()) {
      if (!(await this._fetchToken())) return;
    }
    if (this._state === "closed" || this._transport) return;
    const name = this._opts.transports[this._index];
    const t = TRANSPORTS[name](this);
    this._transport = t;
    t.open();
  }

  _tOpen(t) {
    if (t === this._probe) return this._upgradeTo(t);
    if (t !== this._transport) return;
    this._attempt = 0;
    this._failedInRow = 0;
    this.stats.connects++;
    this._setState("connected");
    t.sync();
    for (const w of this._waiters) w(null);
    this._waiters.clear();
    this._scheduleUpgrade();
    this._scheduleTokenRefresh();
  }

  _tClose(t, { opened, action, code, reason }) {
    if (t === this._probe) {
      this._probe = null;
      return this._scheduleUpgrade();
    }
    if (t !== this._transport) return;
    this._transport = null;
    this._stopProbe();
    if (this._state === "closed") return;
    this._emit("disconnect", { transport: t.name, code, reason, opened });
    if (action === "fatal") {
      this._emit("error", new HeraldError(code || "transport", reason || "connection refused"));
      return this.close();
    }
    this._setState("disconnected");
    if (!opened && action === "reconnect") {
      // Could not open: try the next transport at once; after a full round, back off.
      this._failedInRow++;
      if (this._failedInRow < this._opts.transports.length) {
        this._index = (this._index + 1) % this._opts.transports.length;
        this.stats.fallbacks++;
        return this._later(() => this._connect(), 0);
      }
      this._failedInRow = 0;
      this._index = 0;
    }
    if (action === "token") {
      if (!this._opts.getToken) {
        this._emit("error", new HeraldError(code || 401, reason || "token refused"));
        return this.close();
      }
      this._token = null; // the next _connect asks getToken for a fresh one
    }
    const delay = action === "drain" ? backoffDelay(0, this._opts.backoff) : backoffDelay(this._attempt++, this._opts.backoff);
    this._later(() => this._connect(), delay);
  }

  _stopTransport() {
    if (this._transport) {
      const t = this._transport;
      this._transport = null;
      t.close();
    }
  }

  // While on a fallback, try the better transports now and then; switch when one opens.
  _scheduleUpgrade() {
    if (!this._opts.upgradeInterval || this._index === 0 || this._probe) return;
    clearTimeout(this._upgradeTimer);
    this._upgradeTimer = this._later(() => {
      if (this._state !== "connected" || this._index === 0 || this._probe) return;
      const name = this._opts.transports[0];
      this._probe = TRANSPORTS[name](this);
      this._probe.open();
    }, this._opts.upgradeInterval / 2 + backoffDelay(0, { min: this._opts.upgradeInterval, max: this._opts.upgradeInterval }));
  }

  _stopProbe() {
    if (this._probe) {
      const p = this._probe;
      this._probe = null;
      p.close();
    }
  }

  _upgradeTo(t) {
    // The new transport subscribes every channel from its cursor; the old one stops now. What
    // the old one had delivered is in the cursors, so nothing is lost and nothing repeats.
    this._probe = null;
    const old = this._transport;
    this._transport = t;
    if (old) old.close();
    this._index = 0;
    this.stats.upgrades++;
    this._emit("upgrade", { from: old ? old.name : null, to: t.name });
    this._tOpen(t);
  }

  _tPosition(t, channel, c, recovered) {
    if (t !== this._transport) return;
    const sub = this._subs.get(channel);
    if (sub) sub._position(c, recovered);
  }

  _tReady(t, channel) {
    if (t !== this._transport) return;
    const sub = this._subs.get(channel);
    if (sub && sub._cursor) sub._markReady();
  }

  /** Returns false when the transport must stop processing (it was replaced). */
  _tPublication(t, channel, offset, data) {
    if (t !== this._transport) return false;
    const sub = this._subs.get(channel);
    if (!sub) return true;
    if (sub._accept(offset, data) === "gap") {
      // Publications went missing on this transport without the server saying so: resume from
      // the cursor on a new connection, where the server replays or answers "unrecovered".
      this.stats.gaps++;
      this._stopTransport();
      this._later(() => this._connect(), 0);
      return false;
    }
    return true;
  }

  _tSubscribeError(t, channel, err) {
    const sub = this._subs.get(channel);
    if (!sub) return;
    this._subs.delete(channel);
    sub._fail(err);
  }

  _removeSubscription(sub) {
    if (this._subs.get(sub.channel) !== sub) return;
    this._subs.delete(sub.channel);
    sub._end();
    if (this._transport) this._transport.sync();
  }

  // --- commands ------------------------------------------------------------------------------

  async _command(cmd, viaHttp) {
    if (this._state === "closed") throw new HeraldError("closed", "client is closed");
    if (this._state !== "connected") await this._waitConnected();
    const t = this._transport;
    if (t && t.name === "websocket") return t.request(cmd);
    return viaHttp((method, path, query, body, type) => this._api(method, path, query, body, type));
  }

  _waitConnected() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._waiters.delete(done);
        reject(new HeraldError("timeout", `not connected within ${this._opts.timeout} ms`));
      }, this._opts.timeout);
      const done = (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      this._waiters.add(done);
    });
  }

  async _api(method, path, query, body, type = "application/json") {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this._opts.timeout);
    const headers = {};
    if (body) headers["Content-Type"] = type;
    if (this._token) headers.Authorization = `Bearer ${this._token}`;
    let url = this._base + path;
    if (query) url += "?" + new URLSearchParams(query).toString();
    try {
      const r = await this._fetch(url, { method, headers, body, signal: ctl.signal });
      const res = await r.json().catch(() => null);
      if (r.ok && res) return res;
      const e = res && res.error;
      throw new HeraldError(e ? e.code : r.status, e ? e.message : `HTTP ${r.status}`);
    } catch (err) {
      if (err instanceof HeraldError) throw err;
      if (ctl.signal.aborted) throw new HeraldError("timeout", `no answer to ${path} within ${this._opts.timeout} ms`);
      throw new HeraldError("disconnected", String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The current positions of `channels` (a short poll without `since`): {positions: Map},
   *  or {refused: {channel, error}} when the server refuses one of them, or {error}. */
  async _pollPositions(channels) {
    try {
      const r = await this._fetch(this._httpUrl("/poll", channels, null), { cache: "no-store" });
      const res = await r.json().catch(() => null);
      if (r.status === 200 && res) return { positions: decodeAnyCursor(res.cursor, channels) };
    } catch (err) {
      return { error: new HeraldError("disconnected", String(err)) };
    }
    const why = await this._probeRefusal(channels);
    if (why && why.channel) return { refused: why };
    return { error: (why && why.error) || new HeraldError("transport", "poll refused") };
  }

  /** Why a stream over `channels` was refused: {channel, error} for the first channel the
   *  server refuses alone, {error} when all are refused alike, or null when it answers fine. */
  async _probeRefusal(channels) {
    const tryOne = async (group) => {
      try {
        const r = await this._fetch(this._httpUrl("/poll", group, null), { cache: "no-store" });
        if (r.status === 200) return null;
        const res = await r.json().catch(() => null);
        const e = res && res.error;
        return new HeraldError(e ? e.code : r.status, e ? e.message : `HTTP ${r.status}`);
      } catch (err) {
        return new HeraldError("disconnected", String(err));
      }
    };
    const all = await tryOne(channels);
    if (!all) return null;
    if (all.code === "disconnected" || all.code === 401 || all.code >= 500) return { error: all };
    for (const ch of channels) {
      const e = await tryOne([ch]);
      if (e) return { channel: ch, error: e };
    }
    return { error: all };
  }

  // --- URLs, tokens, hints -------------------------------------------------------------------

  _fetch(url, init) {
    const f = this._opts.fetch || globalThis.fetch;
    return f(url, init);
  }

  _wsUrl() {
    return this._base.replace(/^http/, "ws") + "/ws";
  }

  _httpUrl(path, channels, since, extra) {
    const q = new URLSearchParams();
    for (const ch of channels) q.append("channel", ch);
    if (since) q.set("since", since);
    if (this._token) q.set("token", this._token);
    if (extra) for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return `${this._base}${path}?${q}`;
  }

  /** The `since` of a request over `channels`: one "epoch:offset", or an m1 cursor naming
   *  every channel whose position we know (the others start from now). */
  _sinceFor(channels) {
    const known = new Map();
    for (const ch of channels) {
      const sub = this._subs.get(ch);
      if (sub && sub._cursor && sub._cursor.epoch) known.set(ch, sub._cursor);
    }
    if (known.size === 0) return null;
    if (channels.length === 1) return formatCursor(known.get(channels[0]));
    return encodeMultiCursor(known);
  }

  _tokenExpiring() {
    const exp = tokenExpiry(this._token);
    return exp !== null && exp - Date.now() < this._opts.tokenRefreshMargin;
  }

  async _fetchToken() {
    try {
      const token = await this._opts.getToken();
      if (this._state === "closed") return false;
      this._token = token;
      return true;
    } catch (err) {
      this._emit("error", err instanceof HeraldError ? err : new HeraldError(401, `getToken failed: ${err}`));
      this.close();
      return false;
    }
  }

  _scheduleTokenRefresh() {
    clearTimeout(this._refreshTimer);
    const exp = tokenExpiry(this._token);
    if (exp === null || !this._opts.getToken) return;
    const due = Math.max(0, exp - Date.now() - this._opts.tokenRefreshMargin);
    this._refreshTimer = this._later(async () => {
      if (!(await this._fetchToken())) return;
      const t = this._transport;
      // WebSocket takes the new token on the live connection; the HTTP transports put it in
      // their next request (an SSE stream is ended by the server at expiry, then reopened).
      if (t && t.name === "websocket") await t.refresh(this._token).catch(() => {});
      this._scheduleTokenRefresh();
    }, due);
  }

  _installHints() {
    const w = typeof window !== "undefined" && window.addEventListener ? window : null;
    if (w) {
      const online = () => {
        if (this._state !== "connected") this.reconnect();
      };
      w.addEventListener("online", online);
      this._hooks.push(() => w.removeEventListener("online", online));
    }
    const d = typeof document !== "undefined" && document.addEventListener ? document : null;
    if (d) {
      const visible = () => {
        if (d.visibilityState === "visible" && this._state === "disconnected") this.reconnect();
      };
      d.addEventListener("visibilitychange", visible);
      this._hooks.push(() => d.removeEventListener("visibilitychange", visible));
    }
  }
}
