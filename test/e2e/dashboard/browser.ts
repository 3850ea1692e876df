/**
 * Headless Chromium for the dashboard tests: Debian's `chromium` package driven by
 * playwright-core (Playwright's own browser download cannot be used here). Without the
 * binary the suite skips with a message, so `npm test` runs on a fresh machine; under
 * `CI=true` a missing browser is a failure (`.ci/run` installs it).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);

if (!HAVE_CHROMIUM) {
  const message = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\` (or set CHROMIUM_PATH).`;
  if (process.env.CI === "true") throw new Error(`${message} CI must run the browser tests.`);
  console.warn(`Skipping the dashboard browser tests. ${message}`);
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far, but for the allowed ones. */
  errors: string[];
  /**
   * Console errors matching `pattern` are the browser's own report of a request the test
   * makes fail (a 401, a 400): they are left out of `errors` from now on.
   */
  allowErrors(pattern: RegExp): void;
  /** Requests to any host other than the test server (all refused). */
  offsite: string[];
  close(): Promise<void>;
}

/**
 * A fresh context and page at the given viewport. Every request to another host is
 * aborted and recorded, so the pages are tested as they work with no internet.
 */
export async function openTab(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Tab> {
  const context = await browser.newContext({ viewport });
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  const offsite: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !allowed.some((p) => p.test(m.text()))) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { context, page, errors, offsite, allowErrors: (p) => allowed.push(p), close: () => context.close() };
}
