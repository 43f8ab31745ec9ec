import { Hono } from "hono";
import { clientBundle } from "./client-bundle.ts";
import { chatPage } from "./page.ts";

/** The chat app around a runtime's room routes: the page, its client module, a health check, the rooms. */
export function chatApp(rooms: Hono<any>): Hono<any> {
  const app = new Hono<any>();
  app.get("/health", (c) => c.text("ok"));
  app.get("/", (c) => c.html(chatPage));
  // roomwire/client, bundled ahead by scripts/build-client.mjs (no runtime bundles at request time).
  app.get("/client.js", (c) => c.body(clientBundle, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.route("/", rooms);
  return app;
}
