import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { findChromium } from "../../scripts/chromium.mjs";
import { expect } from "vitest";
import { runtimes as harness } from "../support/runtimes.ts";
import { decodePng, measureInk, type Ink } from "./png.ts";

const root = resolve(import.meta.dirname, "../..");

/** Where the tests' screenshots go (gitignored); `UPDATE_SCREENSHOTS=1` also refreshes docs/screenshots from the Bun run. */
export const outputDir = resolve(import.meta.dirname, "output");
const docsDir = resolve(root, "docs/screenshots");

/** A runtime both example apps run on: how to start each as a real process (PORT, DATA_DIR, HOST from env). */
export interface BrowserRuntime {
  name: string;
  chat: string[];
  dashboard: string[];
}

/** Every runtime of test/support/runtimes.ts, with its chat and dashboard entries. */
export const runtimes: BrowserRuntime[] = harness.map((runtime) => ({
  name: runtime.name,
  chat: runtime.command(runtime.apps.chat),
  dashboard: runtime.command(runtime.apps.dashboard),
}));

/**
 * Chromium driven by playwright-core (never a downloaded browser): $CHROMIUM,
 * Debian's, or Playwright's; `npm test` makes sure one exists.
 */
export function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error("No Chromium: run `node scripts/ensure-browser.mjs`, or set CHROMIUM to its executable.");
  return chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** The viewport every page is opened with, so screenshots are comparable. */
export const viewport = { width: 1100, height: 640 };

/** Bounded waits: long enough for a restarting workerd and a reconnect backoff of up to 10 s. */
export const WAIT = { short: 10_000, long: 45_000 };

/**
 * Saves a screenshot of `page` to test/browser/output/<name>.png and checks it is not blank:
 * at least 1% of its pixels differ from the background colour.
 * `docs` names the PNG under docs/screenshots/ that this shot refreshes when UPDATE_SCREENSHOTS is set.
 */
export async function screenshot(page: Page, name: string, docs?: { runtime: string; file: string }): Promise<Ink> {
  mkdirSync(outputDir, { recursive: true });
  const path = resolve(outputDir, `${name}.png`);
  const png = await page.screenshot();
  writeFileSync(path, png);
  const ink = measureInk(decodePng(png));
  expect(ink.ink, `${path} looks blank`).toBeGreaterThan(0.01);
  expect(ink.colours, `${path} looks blank`).toBeGreaterThan(8);
  if (docs && docs.runtime === "bun" && process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(docsDir, { recursive: true });
    copyFileSync(path, resolve(docsDir, docs.file));
  }
  return ink;
}

/** Stops everything registered, in reverse order, even when some of it throws. */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add<T>(value: T, stop: (value: T) => unknown): T {
    this.steps.push(() => stop(value));
    return value;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
  }
}
