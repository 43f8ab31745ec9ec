// Run before `npm test`: the browser tests need Chromium. On Debian as root it
// installs Debian's package; anywhere else it says how to get one and stops.
import { findChromium } from "./chromium.mjs";
import { ensureDebianPackage } from "./debian-package.mjs";

ensureDebianPackage({ name: "chromium", find: findChromium, what: "The browser tests", variable: "CHROMIUM" });
