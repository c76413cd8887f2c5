// Tokens with the JS client against the real server: a token on every transport (WebSocket
// `connect` op, `?token=` on SSE and poll), a refused token ends the client, and an expiring
// token is replaced through getToken without losing a publication.
//
// Runs once the binary mints tokens (`herald token`) and verifies them with an HMAC secret
// file. The config that names the secret file is HERALD_TOKEN_CONFIG ("%s" = the file), by
// default `[auth] hmac_secret_file` (base::Settings::auth_hmac_secret_file); the suite checks
// that `herald check-config` accepts it and skips, saying why, until then.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { EventSource } from "eventsource";
import WebSocket from "ws";

import { Client } from "../../web/herald.js";
import { heraldBin, startHerald, waitFor } from "./harness.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-tokens-"));
const secretFile = path.join(dir, "secret.txt");
fs.writeFileSync(secretFile, "0123456789abcdef0123456789abcdef0123456789abcdef\n");
const template = process.env.HERALD_TOKEN_CONFIG || '[auth]\nhmac_secret_file = "%s"\n';
const config = template.replace("%s", secretFile);

function why() {
  const mint = spawnSync(heraldBin(), ["token", "--sub", "probe", "--secret-file", secretFile], { encoding: "utf8" });
  if (mint.status !== 0) return "`herald token` is not in this binary yet";
  fs.writeFileSync(path.join(dir, "check.toml"), config);
  const check = spawnSync(heraldBin(), ["check-config", path.join(dir, "check.toml")], { encoding: "utf8" });
  if (check.status !== 0) return `the server does not take a token secret with this config yet: ${check.stdout}${check.stderr}`.trim();
  return null;
}
const skip = why();

function mint(...args) {
  return execFileSync(heraldBin(), ["token", ...args, "--secret-file", secretFile], { encoding: "utf8" }).trim();
}

let herald;
before(async () => {
  if (!skip) herald = await startHerald({ config });
});
after(async () => {
  if (herald) await herald.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const client = (transports, opts) => new Client(herald.url, { transports, WebSocket, EventSource, pollInterval: 100, ...opts });

test("a token on every transport opens the channels it grants", { skip, timeout: 120000 }, async () => {
  const token = mint("--sub", "alice", "--channels", "team:*", "--publish", "team:*", "--ttl", "1h");
  for (const transport of ["websocket", "sse", "long-poll", "poll"]) {
    const c = client([transport], { token });
    try {
      const sub = c.subscribe(`team:${transport}`);
      const got = new Promise((r) => sub.on("publication", r));
      await sub.ready;
      await herald.publish(`team:${transport}`, { for: "alice" });
      assert.deepEqual((await got).data, { for: "alice" });
      const refused = c.subscribe("other:x");
      await assert.rejects(refused.ready, (e) => e.code === 403);
    } finally {
      c.close();
    }
  }
});

test("a refused token ends the client with 401 and no reconnect", { skip, timeout: 120000 }, async () => {
  // Signed with a secret the server does not have.
  const otherFile = path.join(dir, "other-secret.txt");
  fs.writeFileSync(otherFile, "ffffffffffffffffffffffffffffffffffffffffffffffff\n");
  const forged = execFileSync(heraldBin(), ["token", "--sub", "mallory", "--secret-file", otherFile], { encoding: "utf8" }).trim();
  for (const transport of ["websocket", "sse", "long-poll"]) {
    const c = client([transport], { token: forged, backoff: { min: 20, max: 50 } });
    const errors = [];
    c.on("error", (e) => errors.push(e.code));
    c.subscribe("team:x");
    await waitFor(() => c.state === "closed", { what: `closed over ${transport}` });
    assert.ok(errors.includes(401) || errors.includes(4500), `${transport}: ${errors}`);
  }
});

test("an expiring token is replaced through getToken; no publication is lost", { skip, timeout: 180000 }, async () => {
  for (const transport of ["websocket", "sse"]) {
    let calls = 0;
    const c = client([transport], {
      getToken: async () => {
        calls++;
        return mint("--sub", "bob", "--channels", "team:*", "--ttl", "4s");
      },
      tokenRefreshMargin: 1500,
      backoff: { min: 50, max: 200 },
    });
    try {
      const got = [];
      const sub = c.subscribe(`team:expiry-${transport}`);
      sub.on("publication", (p) => got.push(p.offset));
      await sub.ready;
      for (let i = 1; i <= 10; i++) {
        await herald.publish(`team:expiry-${transport}`, i);
        await new Promise((r) => setTimeout(r, 600)); // spans the first token's lifetime
      }
      await waitFor(() => got.length === 10, { what: `10 publications across token renewal over ${transport}` });
      assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.ok(calls >= 2, `getToken called ${calls} times`);
      assert.equal(c.state, "connected");
    } finally {
      c.close();
    }
  }
});
