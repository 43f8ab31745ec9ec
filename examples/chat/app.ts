import { Hono } from "hono";
import { chatPage } from "./page.ts";

/** The chat app around a runtime's room routes: the page, a health check, the rooms. */
export function chatApp(rooms: Hono<any>): Hono<any> {
  const app = new Hono<any>();
  app.get("/health", (c) => c.text("ok"));
  app.get("/", (c) => c.html(chatPage));
  app.route("/", rooms);
  return app;
}
