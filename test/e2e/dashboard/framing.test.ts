/**
 * Clickjacking: a page on another origin that frames the dashboard or /docs gets an
 * empty frame, in real headless Chromium against `wrangler dev` (static assets take
 * their headers from `dist/web/_headers`, the Worker's pages from its middleware).
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium } from "./browser";

let server: TestServer;
let browser: Browser;
/** The attacker: another origin (another port) whose page frames the server's `?path`. */
let attacker: Server;
let attackerUrl: string;

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync("dist/web/_headers")) throw new Error("dist/web is not built: run `npm run build:web` (npm test runs it first)");
  [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
  attacker = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").searchParams.get("path") ?? "/";
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>framing</title><iframe id="victim" src="${server.url}${path}"></iframe>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});

afterAll(async () => {
  attacker?.close();
  await browser?.close();
  await server?.close();
});

describe.skipIf(!HAVE_CHROMIUM)("framing by another origin", () => {
  for (const path of ["/", "/docs"]) {
    it(`refuses to render ${path} inside a cross-origin frame`, async () => {
      const context = await browser.newContext();
      try {
        const refused: string[] = [];
        const page = await context.newPage();
        page.on("console", (m) => {
          if (/frame-ancestors|X-Frame-Options/.test(m.text())) refused.push(m.text());
        });
        const served = page.waitForResponse((r) => r.url() === `${server.url}${path}`);
        await page.goto(`${attackerUrl}/?path=${encodeURIComponent(path)}`);
        const response = await served;
        expect(response.status()).toBe(200);
        expect(response.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
        expect(response.headers()["x-frame-options"]).toBe("DENY");
        await expect.poll(() => refused.length, { timeout: 10_000 }).toBeGreaterThan(0);
        // Nothing of the server's page runs in the frame: it holds Chromium's error page.
        const frame = page.frames().find((f) => f !== page.mainFrame())!;
        expect(frame.url()).not.toBe(`${server.url}${path}`);
        expect(await page.evaluate("document.querySelector('iframe').contentDocument")).toBeNull();
      } finally {
        await context.close();
      }
    });
  }
});
