import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodePng, measureInk } from "./png.ts";
import { launchBrowser, viewport } from "./support.ts";

/** The blank-page check of `screenshot()` itself: it must tell an empty page from a page that shows something. */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

it("measures no ink on a blank page and some on a page with text", async () => {
  const page = await browser.newPage({ viewport });
  await page.setContent("<body style='background:#f3f5f8'></body>");
  const blank = measureInk(decodePng(await page.screenshot()));
  expect(blank).toEqual({ ink: 0, colours: 1 });

  await page.setContent("<body style='background:#f3f5f8;font:48px sans-serif'><h1>42 %</h1><p>some text on the page</p></body>");
  const shown = measureInk(decodePng(await page.screenshot()));
  expect(shown.ink).toBeGreaterThan(0.01);
  expect(shown.colours).toBeGreaterThan(8);
  await page.close();
});
