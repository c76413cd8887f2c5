// The npm package: `npm pack web/` gives a tarball; installed into an empty project it imports
// as "herald-client" from Node (with its type declarations beside it) and talks to the server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { ROOT, startHerald } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

test("npm pack web/ -> install the tarball -> import herald-client from Node", { timeout: 180000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-pack-"));
  const herald = await startHerald();
  try {
    const npmOpts = { cwd: dir, encoding: "utf8", env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } };
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", path.join(ROOT, "web")], npmOpts));
    const tarball = path.join(dir, packed[0].filename);
    assert.deepEqual(packed[0].files.map((f) => f.path).sort(), ["herald.d.ts", "herald.js", "package.json"]);
    const app = path.join(dir, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync("npm", ["install", "--offline", "--no-save", tarball], { ...npmOpts, cwd: app });
    const pkgDir = path.join(app, "node_modules", "herald-client");
    assert.ok(fs.existsSync(path.join(pkgDir, "herald.d.ts")));
    // A script of the app, importing the package by name, publishing and receiving over ws.
    fs.writeFileSync(
      path.join(app, "main.mjs"),
      `import { Client, VERSION } from "herald-client";
import WebSocket from ${JSON.stringify(path.join(here, "node_modules", "ws", "wrapper.mjs"))};
const c = new Client(process.argv[2], { WebSocket, transports: ["websocket"] });
const sub = c.subscribe("public:pack");
await sub.ready;
const got = new Promise((r) => sub.on("publication", r));
const res = await c.publish("public:pack", { hello: "npm" });
const p = await got;
console.log(JSON.stringify({ VERSION, offset: res.offset, data: p.data, transport: c.transport }));
c.close();
`,
    );
    const out = execFileSync(process.execPath, [path.join(app, "main.mjs"), herald.url], { cwd: app, encoding: "utf8", timeout: 60000 });
    assert.deepEqual(JSON.parse(out), { VERSION: "0.1.0", offset: 1, data: { hello: "npm" }, transport: "websocket" });
  } finally {
    await herald.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
