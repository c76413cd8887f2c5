// web/herald.d.ts is checked by the TypeScript compiler (npm typescript, --strict) against a
// program that uses the whole API as docs/client.md shows it, and must reject misuse.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { ROOT } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = path.join(here, "node_modules", "typescript", "bin", "tsc");

function check(source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-types-"));
  try {
    fs.copyFileSync(path.join(ROOT, "web", "herald.d.ts"), path.join(dir, "herald.d.ts"));
    fs.writeFileSync(path.join(dir, "app.ts"), source);
    const r = spawnSync(
      process.execPath,
      [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom", path.join(dir, "app.ts")],
      { encoding: "utf8" },
    );
    return { ok: r.status === 0, out: r.stdout + r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("herald.d.ts types a program that uses the whole API", { timeout: 120000 }, () => {
  const r = check(`import { Client, HeraldError, Subscription, Publication, backoffDelay, closeAction, parseCursor } from "./herald";

interface Chat { name: string; text: string }
const client = new Client("https://example.test", {
  transports: ["websocket", "sse", "long-poll", "poll"],
  getToken: async () => "jwt",
  backoff: { min: 100 },
  timeout: 5000,
});
const off = client.on("state", (s) => { const st: "connecting" | "connected" | "disconnected" | "closed" = s; void st; });
off();
client.on("upgrade", (u) => console.log(u.from, u.to));
const sub: Subscription<Chat> = client.subscribe<Chat>("chat:room1", { since: "E:1" });
sub.on("publication", (p: Publication<Chat>) => console.log(p.channel, p.offset, p.data.text));
sub.on("unrecovered", (info) => console.log(info.since, info.cursor));
async function main() {
  await sub.ready;
  for await (const p of sub) console.log(p.data.name);
  const r = await client.publish("chat:room1", { text: "hi" });
  const n: number = r.offset; const e: string = r.epoch; void n; void e;
  const h = await sub.history({ limit: 50 });
  h.publications.forEach((p) => console.log(p.offset, p.data.text));
  const pr = await sub.presence();
  console.log(pr.connections, pr.clients.length, client.transport, sub.cursor);
  try { await client.presence("x"); } catch (err) { if (err instanceof HeraldError) console.log(err.code); }
  console.log(backoffDelay(3), closeAction(4001), parseCursor("E:3")?.offset);
  client.close();
}
void main;
`);
  assert.ok(r.ok, r.out);
});

test("herald.d.ts rejects misuse", { timeout: 120000 }, () => {
  for (const bad of [
    `import { Client } from "./herald"; new Client("u", { transports: ["carrier-pigeon"] });`,
    `import { Client } from "./herald"; const c = new Client(); c.subscribe(42);`,
    `import { Client } from "./herald"; const c = new Client(); const t: number = c.transport;`,
    `import { Client } from "./herald"; const c = new Client(); c.publish("a", 1).then((r) => r.offst);`,
  ]) {
    const r = check(bad);
    assert.equal(r.ok, false, `accepted: ${bad}`);
    assert.match(r.out, /error TS\d+/);
  }
});
