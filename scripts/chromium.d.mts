/** Path of a Chromium executable ($CHROMIUM, /usr/bin/chromium, or Playwright's), or undefined when there is none. */
export function findChromium(): string | undefined;
