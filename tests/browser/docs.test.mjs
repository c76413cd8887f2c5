// Runs every `js example` block of docs/client.md against the real server, in order, each as
// its own Node module, and compares what it prints with the `output` block after it. The
// examples read like browser code: "/herald.js" is this checkout's web/herald.js, `WebSocket`
// and `EventSource` are npm ws and eventsource (preloaded as globals, as a browser has them),
// and http://127.0.0.1:8080 is the test server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { ROOT, startHerald } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const doc = fs.readFileSync(path.join(ROOT, "docs", "client.md"), "utf8");

/** [{line, code, output}] for each ```js example block (output: the ```output block after it). */
function examples(text) {
  const out = [];
  const re = /^```(\S*)(?: (\S+))?\n([\s\S]*?)^```$/gm;
  let m;
  let last = null;
  while ((m = re.exec(text))) {
    const line = text.slice(0, m.index).split("\n").length;
    if (m[1] === "js" && m[2] === "example") {
      last = { line, code: m[3], output: null };
      out.push(last);
    } else if (m[1] === "output" && last && last.output === null) {
      last.output = m[3];
    } else {
      last = null;
    }
  }
  return out;
}

const blocks = examples(doc);
let herald;
let dir;

before(async () => {
  herald = await startHerald();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-docs-"));
  const mod = (name, file) => pathToFileURL(path.join(here, "node_modules", name, file)).href;
  fs.writeFileSync(
    path.join(dir, "globals.mjs"),
    `import WebSocket from ${JSON.stringify(mod("ws", "wrapper.mjs"))};
import { EventSource } from ${JSON.stringify(mod("eventsource", "dist/index.js"))};
globalThis.WebSocket = WebSocket;
globalThis.EventSource = EventSource;
`,
  );
});
after(async () => {
  await herald.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("docs/client.md has examples, each with its output", () => {
  assert.ok(blocks.length >= 7, `only ${blocks.length} examples`);
  for (const b of blocks) assert.notEqual(b.output, null, `example at line ${b.line} has no output block`);
});

for (const b of blocks) {
  test(`docs/client.md example at line ${b.line}`, { timeout: 90000 }, async () => {
    const client = pathToFileURL(path.join(ROOT, "web", "herald.js")).href;
    const mod = (name, file) => pathToFileURL(path.join(here, "node_modules", name, file)).href;
    const code = b.code
      .replaceAll('"/herald.js"', JSON.stringify(client))
      .replaceAll('from "ws"', `from ${JSON.stringify(mod("ws", "wrapper.mjs"))}`)
      .replaceAll('from "eventsource"', `from ${JSON.stringify(mod("eventsource", "dist/index.js"))}`)
      .replaceAll("http://127.0.0.1:8080", herald.url);
    const file = path.join(dir, `example-${b.line}.mjs`);
    fs.writeFileSync(file, code);
    const stdout = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ["--import", pathToFileURL(path.join(dir, "globals.mjs")).href, file],
        { timeout: 60000 },
        (err, out, errOut) => (err ? reject(new Error(`example at line ${b.line} failed: ${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    assert.equal(stdout, b.output, `output of the example at docs/client.md:${b.line}`);
  });
}
