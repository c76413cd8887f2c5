// Type declarations of herald.js, the JavaScript client of herald (docs/client.md).

export declare const VERSION: string;

/** The transports, in the client's default order of preference. */
export type TransportName = "websocket" | "sse" | "long-poll" | "poll";

/** "connecting" | "connected" | "disconnected" (waiting to reconnect) | "closed" (for good). */
export type ClientState = "connecting" | "connected" | "disconnected" | "closed";

/** herald's numeric error codes (HTTP statuses: 400, 401, 403, 404, 409, 429, 503, ...), a
 *  WebSocket close code of 4500-4999 that ended the client, or a local condition. */
export type ErrorCode = number | "timeout" | "disconnected" | "closed" | "transport";

export declare class HeraldError extends Error {
  constructor(code: ErrorCode, message: string);
  readonly name: "HeraldError";
  readonly code: ErrorCode;
}

export interface ClientOptions {
  /** Transports to try, best first. Default ["websocket", "sse", "long-poll", "poll"]. */
  transports?: TransportName[];
  /** A connection token (JWT): WebSocket `connect` op, `?token=` on SSE and poll, Bearer on fetch. */
  token?: string;
  /** Called for a token before connecting when none is held, after close 4005 (token
   *  expired) or a 401, and before the held token's `exp`. */
  getToken?: () => Promise<string>;
  /** Implementations for runtimes without globals (Node: npm `ws`, npm `eventsource`). */
  WebSocket?: unknown;
  EventSource?: unknown;
  fetch?: typeof fetch;
  /** ms for every command (publish, history, presence, subscribe). Default 10000. */
  timeout?: number;
  /** ms for a transport to open before the next one is tried. Default 5000. */
  openTimeout?: number;
  /** Reconnect delays: full jitter in [0, min(max, min * 2^attempt)] ms. Default {250, 10000}. */
  backoff?: { min?: number; max?: number };
  /** ms between tries of the first transport while on a fallback (0: never). Default 15000. */
  upgradeInterval?: number;
  /** Seconds a long-poll is held at the server. Default 25. */
  longPollWait?: number;
  /** ms between short polls. Default 1000. */
  pollInterval?: number;
  /** ms before the token's `exp` that getToken is called. Default 15000. */
  tokenRefreshMargin?: number;
}

/** One publication: the same object on every transport. A binary publication (published as
 *  bytes) has `binary: true` and its bytes in `data` as a Uint8Array, whichever transport
 *  carried it (a WebSocket binary frame, or base64 in `b64` on SSE and polling). */
export interface Publication<T = unknown> {
  channel: string;
  offset: number;
  data: T;
  binary: boolean;
}

export interface UnrecoveredInfo {
  channel: string;
  /** The cursor the client resumed from. */
  since: string;
  /** The stream's current cursor: the subscription goes on from there. */
  cursor: string;
}

export interface PublishResult {
  offset: number;
  epoch: string;
}

export interface HistoryResult<T = unknown> {
  publications: { offset: number; data: T; binary: boolean }[];
  cursor: string;
  /** Present when `since` was given. */
  recovered?: boolean;
}

export interface PresenceResult {
  connections: number;
  clients: string[];
}

export interface ClientStats {
  connects: number;
  fallbacks: number;
  upgrades: number;
  gaps: number;
}

export declare class Subscription<T = unknown> implements AsyncIterable<Publication<T>> {
  readonly client: Client;
  readonly channel: string;
  /** Resolves once subscribed; rejects with a HeraldError (403, 400, ...) when refused. */
  readonly ready: Promise<Subscription<T>>;
  /** "epoch:offset" of the last publication delivered (or where the subscription started). */
  readonly cursor: string | null;
  readonly active: boolean;
  on(event: "publication", fn: (p: Publication<T>) => void): () => void;
  on(event: "unrecovered", fn: (info: UnrecoveredInfo) => void): () => void;
  on(event: "subscribed", fn: (info: { channel: string; cursor: string | null }) => void): () => void;
  on(event: "error", fn: (err: HeraldError) => void): () => void;
  off(event: string, fn: (arg: any) => void): void;
  history(opts?: { since?: string; limit?: number }): Promise<HistoryResult<T>>;
  presence(): Promise<PresenceResult>;
  unsubscribe(): void;
  [Symbol.asyncIterator](): AsyncIterator<Publication<T>>;
}

export declare class Client {
  /** `url`: the server ("https://host:8080"); in a page it defaults to the page's origin. */
  constructor(url?: string, opts?: ClientOptions);
  readonly state: ClientState;
  /** The transport in use, or null when not connected. */
  readonly transport: TransportName | null;
  readonly stats: ClientStats;
  on(event: "state", fn: (s: ClientState) => void): () => void;
  on(event: "error", fn: (err: HeraldError) => void): () => void;
  on(event: "disconnect", fn: (info: { transport: TransportName; code?: number; reason?: string; opened: boolean }) => void): () => void;
  on(event: "upgrade", fn: (info: { from: TransportName | null; to: TransportName }) => void): () => void;
  off(event: string, fn: (arg: any) => void): void;
  /** `since`: a cursor ("epoch:offset") to resume after. Throws 409 if already subscribed. */
  subscribe<T = unknown>(channel: string, opts?: { since?: string }): Subscription<T>;
  getSubscription(channel: string): Subscription | null;
  /** `data`: any JSON value, or bytes (Uint8Array, another typed array view, or ArrayBuffer). */
  publish(channel: string, data: unknown): Promise<PublishResult>;
  history<T = unknown>(channel: string, opts?: { since?: string; limit?: number }): Promise<HistoryResult<T>>;
  presence(channel: string): Promise<PresenceResult>;
  /** Drops the connection and reconnects at once. */
  reconnect(): void;
  /** Closes for good: no reconnect; every subscription ends. */
  close(): void;
}

export declare function backoffDelay(
  attempt: number,
  opts?: { min?: number; max?: number; floor?: number },
  random?: () => number,
): number;
export declare function closeAction(code: number): "reconnect" | "fatal" | "token" | "drain";
export declare function parseCursor(text: string): { epoch: string; offset: number } | null;
export declare function formatCursor(c: { epoch: string; offset: number }): string;
export declare function encodeMultiCursor(cursors: Map<string, { epoch: string; offset: number }>): string;
export declare function decodeAnyCursor(text: string, channels: string[]): Map<string, { epoch: string; offset: number }>;
export declare function tokenExpiry(token: string): number | null;
