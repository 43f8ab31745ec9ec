import { Hono } from "hono";
import { clientBundle } from "../chat/client-bundle.ts";
import { cursorsPage } from "./page.ts";

/** The cursors app around a runtime's room routes: the page, its client module, a health check, the rooms. */
export function cursorsApp(rooms: Hono<any>): Hono<any> {
  const app = new Hono<any>();
  app.get("/health", (c) => c.text("ok"));
  app.get("/", (c) => c.html(cursorsPage));
  // roomwire/client, the same prebuilt bundle the chat app serves (npm run build:client).
  app.get("/client.js", (c) => c.body(clientBundle, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.route("/", rooms);
  return app;
}
