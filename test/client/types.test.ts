import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import WebSocket from "ws";
import type { chat } from "../../examples/chat/room.ts";
import { connect, type ClientStatus, type RoomClient, type WebSocketConstructor } from "../../src/client/index.ts";

/**
 * Type tests of roomwire/client, typed from the chat room through a
 * type-only import: `npx tsc --noEmit -p .` checks them (an `@ts-expect-error`
 * line fails the check when it does NOT error). The client is never used at
 * run time; the checks live in a function that is only type-checked.
 */

type Said = { user: string; text: string; at: number };
type Peer = { id: string; user: string };

function typeChecks(client: RoomClient<typeof chat>): void {
  const text = "hello";

  // send: events of the room, with their input types.
  expectTypeOf(client.send("say", { text })).toEqualTypeOf<boolean>();
  // @ts-expect-error: no such event
  client.send("shout", { text });
  // @ts-expect-error: text must be a string
  client.send("say", { text: 42 });
  // @ts-expect-error: say needs its data
  client.send("say");
  // @ts-expect-error: a field the schema does not have is not enough
  client.send("say", { message: text });
  // @ts-expect-error: history is a request, not an event
  client.send("history", { limit: 5 });

  // request: requests of the room, resolving to their reply types.
  expectTypeOf(client.request("history", { limit: 5 })).resolves.toEqualTypeOf<Said[]>();
  expectTypeOf(client.request("history", { limit: 5 }, { timeout: 1_000, retry: true })).resolves.toEqualTypeOf<Said[]>();
  expectTypeOf(client.request("who")).resolves.toEqualTypeOf<{ peers: Peer[] }>();
  expectTypeOf(client.request("who", {})).resolves.toEqualTypeOf<{ peers: Peer[] }>();
  expectTypeOf(client.request("who", undefined, { timeout: 100 })).resolves.toEqualTypeOf<{ peers: Peer[] }>();
  // @ts-expect-error: history needs its data
  void client.request("history");
  // @ts-expect-error: limit must be a number
  void client.request("history", { limit: "5" });
  // @ts-expect-error: say is an event, not a request
  void client.request("say", { text });
  // @ts-expect-error: no such request
  void client.request("nope");
  // @ts-expect-error: unknown request option
  void client.request("who", undefined, { timeot: 100 });

  // on: what the room emits, with its output types.
  client.on("said", (data) => {
    expectTypeOf(data).toEqualTypeOf<Said>();
  });
  client.on("welcome", (data) => {
    expectTypeOf(data).toEqualTypeOf<{ id: string; user: string; peers: Peer[]; history: Said[] }>();
  });
  client.on("joined", (data) => expectTypeOf(data).toEqualTypeOf<Peer>());
  expectTypeOf(client.on("left", () => {})).toEqualTypeOf<() => void>();
  // @ts-expect-error: the room emits no "sayd"
  client.on("sayd", () => {});
  // @ts-expect-error: "say" is what clients send, not what the room emits
  client.on("say", () => {});
  // @ts-expect-error: said carries no "message"
  client.on("said", (data) => data.message);

  expectTypeOf(client.status).toEqualTypeOf<ClientStatus>();
  expectTypeOf(connect<typeof chat>).returns.toEqualTypeOf<RoomClient<typeof chat>>();
}

/** WebSocket classes the client takes as they are, and what it refuses. */
function socketChecks(url: string): void {
  // The `ws` package (Node 20), without a cast.
  connect<typeof chat>(url, { WebSocket });
  expectTypeOf(WebSocket).toExtend<WebSocketConstructor>();
  // The DOM's: browsers, and Bun and Deno when the DOM lib is loaded.
  connect<typeof chat>(url, { WebSocket: globalThis.WebSocket, fetch: globalThis.fetch });
  // Bun's own, without the DOM lib.
  expectTypeOf<new (url: string) => Bun.WebSocket>().toExtend<WebSocketConstructor>();
  // A class with the members the client uses and nothing else.
  class Minimal {
    binaryType = "blob";
    readyState = 0;
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    constructor(readonly url: string) {}
    send(_data: string): void {}
    close(_code?: number, _reason?: string): void {}
  }
  connect<typeof chat>(url, { WebSocket: Minimal });
  class NoSend {
    binaryType = "blob";
    readyState = 0;
    onopen = null;
    onmessage = null;
    onclose = null;
    onerror = null;
    close(): void {}
  }
  // @ts-expect-error: a socket without send() does not fit
  connect<typeof chat>(url, { WebSocket: NoSend });
}

const clientDir = resolve(import.meta.dirname, "../../src/client");

/** Every import, re-export and dynamic import of a file, and whether it is type-only. */
function imports(file: string): { specifier: string; typeOnly: boolean; text: string }[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const found: { specifier: string; typeOnly: boolean; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false, text: node.getText() });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, text: node.getText() });
    } else if (ts.isImportEqualsDeclaration(node)) {
      found.push({ specifier: node.moduleReference.getText(), typeOnly: node.isTypeOnly, text: node.getText() });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      found.push({ specifier: argument && ts.isStringLiteral(argument) ? argument.text : node.getText(), typeOnly: false, text: node.getText() });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("roomwire/client types", () => {
  it("are checked by tsc (this file is in the project)", () => {
    expect(typeof typeChecks).toBe("function");
    expect(typeof socketChecks).toBe("function");
  });

  it("imports at run time only the wire protocol from outside src/client, and the protocol imports nothing, so no server code is bundled", () => {
    const files = readdirSync(clientDir).filter((name) => name.endsWith(".ts"));
    expect(files).toContain("client.ts");
    const protocol = resolve(clientDir, "../protocol.ts");
    const runtimeImports: string[] = [];
    let outside = 0;
    for (const name of files) {
      for (const entry of imports(resolve(clientDir, name))) {
        const target = entry.specifier.startsWith(".") ? resolve(clientDir, entry.specifier) : entry.specifier;
        const inside = target.startsWith(`${clientDir}/`);
        if (inside) continue;
        outside++;
        if (!entry.typeOnly && target !== protocol) runtimeImports.push(`${name}: ${entry.text}`);
      }
    }
    // The client does use the server's types (protocol, room definitions): only as types, but for the wire protocol's constants.
    expect(outside).toBeGreaterThan(0);
    expect(runtimeImports).toEqual([]);
    expect(imports(protocol)).toEqual([]);
  });
});
