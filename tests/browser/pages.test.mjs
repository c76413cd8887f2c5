// The demo page (GET /) and the admin dashboard (GET /admin) in Chromium: they load without a
// console error, show live data, and their controls work. With HERALD_SCREENSHOTS=DIR the
// screenshots of docs/ are written there (docs/img/demo.png, docs/img/admin.png).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import WebSocket from "ws";

import { Client } from "../../web/herald.js";
import { launchChromium, newPage, startHerald, waitFor } from "./harness.mjs";

const shots = process.env.HERALD_SCREENSHOTS || fs.mkdtempSync(path.join(os.tmpdir(), "herald-shots-"));
let browser;

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
});

const text = (page, sel) => page.locator(sel).innerText();

test("demo: chat round trip and a transport race on all four transports", { timeout: 240000 }, async () => {
  const herald = await startHerald();
  try {
    await herald.publish("public:chat", { name: "ada", text: "hello from the HTTP API" });
    const page = await newPage(browser.context);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${herald.url}/?count=60`);
    await page.locator("#messages li", { hasText: "hello from the HTTP API" }).waitFor({ timeout: 30000 });
    await waitFor(async () => (await text(page, "#status")).startsWith("connected"), { what: "chat connected" });
    await page.fill("#name", "grace");
    await page.fill("#text", "hi from Chromium");
    await page.click("#send");
    await page.locator("#messages li", { hasText: "hi from Chromium" }).waitFor({ timeout: 30000 });
    assert.match(await text(page, "#messages li:last-child"), /grace\s*hi from Chromium/);

    // The race publishes 60 messages; every lane receives all of them and shows latencies.
    for (const t of ["websocket", "sse", "long-poll", "poll"]) {
      const lane = `.lane[data-transport="${t}"]`;
      await waitFor(async () => (await text(page, `${lane} .got`)) === "60/60", { timeout: 120000, what: `${t} lane 60/60` });
      assert.match(await text(page, `${lane} .p50`), /^\d+(\.\d)? ms$/);
      assert.match(await text(page, `${lane} .bytes`), /^\d+ B\/msg$/);
    }
    await page.waitForTimeout(300); // one more render of the charts for the screenshot
    await page.screenshot({ path: path.join(shots, "demo.png"), fullPage: true });

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const [scrollW, innerW] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    assert.ok(scrollW <= innerW, `page is ${scrollW} px wide on a ${innerW} px screen`);
    await page.screenshot({ path: path.join(shots, "demo-phone.png") });
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await herald.stop();
  }
});

test("admin: live charts from /metrics, channels and the inspector through the API key", { timeout: 240000 }, async () => {
  const herald = await startHerald({ config: '[server]\napi_key = "k3y"\n' });
  const c = new Client(herald.url, { WebSocket, transports: ["websocket"] });
  let pumping = true;
  try {
    const sub = c.subscribe("public:admin-demo");
    await sub.ready;
    // A steady trickle, so the per-second charts have something to show.
    const pump = (async () => {
      for (let i = 0; pumping && i < 5000; i++) {
        await c.publish("public:admin-demo", { i });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const page = await newPage(browser.context, { networkErrors: false }); // 401 until the key is typed
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${herald.url}/admin`);
    await waitFor(async () => /ws 1\b/.test(await text(page, '[data-chart="conn"] .now')), { what: "ws connection on the chart" });
    await waitFor(async () => /publications [1-9]/.test(await text(page, '[data-chart="pubs"] .now')), { what: "publications per second" });
    await waitFor(async () => /p99 \d/.test(await text(page, '[data-chart="lag"] .now')), { what: "loop lag" });
    await waitFor(async () => /needs a key/.test(await text(page, "#channels-note")), { what: "401 without the key" });

    await page.fill("#key", "k3y");
    await page.click("#use-key");
    const row = page.locator("#channels tr", { hasText: "public:admin-demo" });
    await row.waitFor({ timeout: 30000 });
    assert.match(await row.innerText(), /public:admin-demo\s+1/);
    await row.click();
    await waitFor(async () => /"publications"/.test(await text(page, "#out")), { what: "history shown" });
    await page.click("#presence");
    await waitFor(async () => /"connections": 1/.test(await text(page, "#out")), { what: "presence shown" });
    await page.click("#publish");
    await waitFor(async () => /"offset": \d+/.test(await text(page, "#out")), { what: "publish answer" });
    // The key lives in memory only.
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0);
    await page.waitForTimeout(8000); // more samples on the charts for the screenshot
    await page.screenshot({ path: path.join(shots, "admin.png"), fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
    pumping = false;
    await pump;
  } finally {
    pumping = false;
    c.close();
    await herald.stop();
  }
});
