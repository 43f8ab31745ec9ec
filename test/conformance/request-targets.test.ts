import { describe, expect, it } from "vitest";
import { useChatServer } from "../support/chat-server.ts";
import { rawRequest, type RawResponse } from "../support/raw-http.ts";
import { runtimes } from "./runtimes.ts";

/**
 * Request targets and methods a browser never sends, written byte for byte
 * over TCP to each runtime's chat server. Where a runtime answers before
 * roomwire runs (or rewrites the request first), the case says so: those
 * answers are the runtime's, listed here so a change in them shows up.
 */

type RuntimeName = "bun" | "deno" | "workerd" | "node";
/** A status per runtime, and whether roomwire's own answer is expected (checked by its body). */
type Expected = Record<RuntimeName, { status: number; body?: RegExp }>;

const INVALID_NAME = /^Invalid room name/;
const NO_TYPE = /^No room type "" here/;
const WEBSOCKET_ONLY = /^This is a WebSocket endpoint/;
const HANDSHAKE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";

describe.each(runtimes)("request targets on $name", (runtime) => {
  const chat = useChatServer(runtime.command);
  const name = runtime.name as RuntimeName;
  const send = (head: string, body = ""): Promise<RawResponse> => rawRequest(chat.server.port, `${head}\r\nHost: 127.0.0.1:${chat.server.port}`, body);
  const expectAnswer = (response: RawResponse, expected: Expected) => {
    const { status, body } = expected[name];
    expect({ status: response.status, body: response.body }).toMatchObject({ status, ...(body && { body: expect.stringMatching(body) }) });
  };

  describe("dot segments as the room name", () => {
    // Bun and wrangler's dev server resolve them before the Worker runs: `..` leaves `/rooms/`, which roomwire cannot tell
    // from a request for `/rooms/` itself (404); `.` leaves `/rooms/chat/`, an empty name (400). Deno hands them over as sent.
    // On Node the request's URL is parsed with `new URL` (by @hono/node-server, and by the adapter for an upgrade), which resolves them as Bun does.
    const resolvedAway: Expected = { bun: { status: 404, body: NO_TYPE }, deno: { status: 400, body: INVALID_NAME }, workerd: { status: 404, body: NO_TYPE }, node: { status: 404, body: NO_TYPE } };
    const emptied: Expected = { bun: { status: 400, body: INVALID_NAME }, deno: { status: 400, body: INVALID_NAME }, workerd: { status: 400, body: INVALID_NAME }, node: { status: 400, body: INVALID_NAME } };

    it.each([
      ["..", resolvedAway],
      ["%2e%2e", resolvedAway],
      ["%2E%2E", resolvedAway],
      [".%2e", resolvedAway],
      [".", emptied],
      ["%2e", emptied],
    ])("GET /rooms/chat/%s", async (segment, expected) => {
      expectAnswer(await send(`GET /rooms/chat/${segment}?user=ann HTTP/1.1`), expected);
      expectAnswer(await send(`GET /rooms/chat/${segment}?user=ann HTTP/1.1\r\n${HANDSHAKE}`), expected);
    });
  });

  describe("absolute-form and asterisk-form targets", () => {
    // workerd's HTTP server accepts only origin-form targets and answers 500 before any Worker code runs
    // (kj: "invalid URL"). The Cloudflare edge, not workerd, receives requests in production.
    it("an absolute-form target is routed like the origin form", async () => {
      const expected: Expected = { bun: { status: 426, body: WEBSOCKET_ONLY }, deno: { status: 426, body: WEBSOCKET_ONLY }, workerd: { status: 500 }, node: { status: 426, body: WEBSOCKET_ONLY } };
      expectAnswer(await send(`GET http://127.0.0.1:${chat.server.port}/rooms/chat/lobby?user=ann HTTP/1.1`), expected);
      // The authority is not checked against Host: a target naming another host reaches the same routes.
      expectAnswer(await send("GET http://other.example/rooms/chat/lobby?user=ann HTTP/1.1"), expected);
      const dots: Expected = { bun: { status: 404, body: NO_TYPE }, deno: { status: 400, body: INVALID_NAME }, workerd: { status: 500 }, node: { status: 404, body: NO_TYPE } };
      expectAnswer(await send(`GET http://127.0.0.1:${chat.server.port}/rooms/chat/.. HTTP/1.1`), dots);
    });

    it("OPTIONS * never reaches a room", async () => {
      // Bun refuses it itself (400); Deno hands it to the app as the path `/*`, which is no route of the chat app (404);
      // on Node, @hono/node-server refuses a target that is not a path (400) before the app.
      const expected: Expected = { bun: { status: 400 }, deno: { status: 404 }, workerd: { status: 500 }, node: { status: 400 } };
      expectAnswer(await send("OPTIONS * HTTP/1.1"), expected);
    });
  });

  describe("a POST with Upgrade: websocket is plain HTTP (the chat room has no http handler: 426)", () => {
    // wrangler's dev server forwards with workerd's fetch, which re-sends any request carrying `Upgrade: websocket` as a GET
    // handshake: the Worker sees a valid upgrade, accepts it, and the dev server then fails to answer the POST with a 101 (500).
    // node:http hands any request with an Upgrade header to the upgrade listener, POST too; the room routes answer it as plain HTTP.
    const devProxy: Expected = { bun: { status: 426, body: WEBSOCKET_ONLY }, deno: { status: 426, body: WEBSOCKET_ONLY }, workerd: { status: 500 }, node: { status: 426, body: WEBSOCKET_ONLY } };

    it("with only the Upgrade header and a body", async () => {
      expectAnswer(await send("POST /rooms/chat/lobby?user=ann HTTP/1.1\r\nUpgrade: websocket\r\nContent-Length: 5", "hello"), devProxy);
    });

    it("with a whole handshake and no body", async () => {
      expectAnswer(await send(`POST /rooms/chat/lobby?user=ann HTTP/1.1\r\n${HANDSHAKE}`), devProxy);
    });

    it("with a whole handshake and a body", async () => {
      // Deno's HTTP server refuses an upgrade request that also frames a body (400, before the app).
      expectAnswer(await send(`POST /rooms/chat/lobby?user=ann HTTP/1.1\r\n${HANDSHAKE}\r\nContent-Length: 5`, "hello"), { ...devProxy, deno: { status: 400 } });
    });
  });
});
