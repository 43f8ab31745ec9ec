import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ClientOptions, ClientSocket, WebSocketConstructor } from "../../src/client/index.ts";
import { runtimes } from "../conformance/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { statusNames, track, until, type Tracked } from "./helpers.ts";
import { Proxy } from "./proxy.ts";

const fast: ClientOptions["reconnect"] = { minDelay: 20, maxDelay: 200 };

/** A WebSocket that never opens, as on a network that swallows upgrades. */
class NeverOpens implements ClientSocket {
  static made = 0;
  binaryType = "arraybuffer";
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(readonly url: string) {
    NeverOpens.made++;
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
}

/** A WebSocket that fails at once without a status the client could learn, as behind a proxy that drops upgrades. */
class FailsAtOnce implements ClientSocket {
  binaryType = "arraybuffer";
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose: ((event: { code: number; reason: string }) => unknown) | null = null;
  onerror = null;
  constructor(readonly url: string) {
    setTimeout(() => {
      this.readyState = 3;
      this.onclose?.({ code: 1006, reason: "" });
    }, 5);
  }
  send(): void {}
  close(): void {}
}

/** roomwire/client on the event-stream fallback, against the chat app on every runtime. */
describe.each(runtimes)("roomwire/client's fallback on $name", (runtime) => {
  let server: RunningServer;
  let dataDir: string;
  let count = 0;
  let tracked: Tracked[] = [];
  let proxies: Proxy[] = [];
  const freshRoom = () => `fallback-${runtime.name}-${Date.now()}-${count++}`;
  const join = (base: string, room: string, user: string, options: ClientOptions = {}) => {
    const client = track(`${base}/rooms/chat/${room}`, { query: { user }, reconnect: fast, ...options });
    tracked.push(client);
    return client;
  };

  beforeAll(async () => {
    dataDir = tempDir(`roomwire-client-fallback-${runtime.name}-`);
    server = await startServer(runtime.command, { PORT: String(await freePort()), DATA_DIR: dataDir });
  }, 90_000);
  afterEach(async () => {
    for (const each of tracked) each.client.close();
    tracked = [];
    for (const proxy of proxies) await proxy.close();
    proxies = [];
  });
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  }, 30_000);

  it('with transport "sse": the same send, request and on as over a WebSocket', async () => {
    const room = freshRoom();
    const ann = join(server.wsUrl, room, "ann", { transport: "sse" });
    const bob = join(server.wsUrl, room, "bob");
    await until(() => ann.client.status === "open" && bob.client.status === "open", "both open");
    ann.client.send("say", { text: "from the stream" });
    bob.client.send("say", { text: "from the socket" });
    await until(() => ann.said.length === 2 && bob.said.length === 2, "both said, both ways");
    expect(ann.texts()).toEqual(bob.texts());
    const history = await ann.client.request("history", { limit: 10 });
    expect(history.map((said) => said.text)).toEqual(ann.texts());
    await expect(ann.client.request("history", { limit: 0 })).rejects.toMatchObject({ code: "invalid_message" });
  });

  it("falls back when the WebSocket does not open in time, and remembers it for the page session", async () => {
    const storage = new Map<string, string>();
    (globalThis as { sessionStorage?: unknown }).sessionStorage = { getItem: (key: string) => storage.get(key) ?? null, setItem: (key: string, value: string) => void storage.set(key, value) };
    try {
      const room = freshRoom();
      const made = NeverOpens.made;
      const ann = join(server.wsUrl, room, "ann", { WebSocket: NeverOpens as unknown as WebSocketConstructor, fallbackAfter: 300 });
      await until(() => ann.client.status === "open", "open over the fallback", 5_000);
      expect(NeverOpens.made - made).toBe(1);
      expect([...storage.values()]).toEqual(["sse"]);
      ann.client.send("say", { text: "hi" });
      await until(() => ann.said.length === 1, "said");
      // A second client of the same page goes straight to the fallback.
      const again = join(server.wsUrl, room, "bob", { WebSocket: NeverOpens as unknown as WebSocketConstructor, fallbackAfter: 300 });
      await until(() => again.client.status === "open", "the second client open");
      expect(NeverOpens.made - made).toBe(1);
    } finally {
      delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
    }
  });

  it("falls back when the WebSocket fails at once though the room would accept it", async () => {
    const ann = join(server.wsUrl, freshRoom(), "ann", { WebSocket: FailsAtOnce as unknown as WebSocketConstructor });
    await until(() => ann.client.status === "open", "open over the fallback", 5_000);
    expect(statusNames(ann)).toEqual(["connecting", "open"]);
  });

  it("a refusal over the fallback is final, as over a WebSocket", async () => {
    const nobody = track(`${server.wsUrl}/rooms/chat/${freshRoom()}`, { transport: "sse", reconnect: fast });
    tracked.push(nobody);
    await until(() => nobody.client.status === "closed", "closed");
    expect(nobody.statuses.at(-1)?.error).toMatchObject({ code: "refused", status: 401 });
  });

  it("reconnects after a cut link and resumes: what it missed once, in order", { timeout: 30_000 }, async () => {
    const proxy = await Proxy.start(server.port);
    proxies.push(proxy);
    const room = freshRoom();
    const ann = join(proxy.wsUrl, room, "ann", { transport: "sse" });
    const bob = join(server.wsUrl, room, "bob");
    await until(() => ann.client.status === "open" && bob.client.status === "open", "both open");
    bob.client.send("say", { text: "m0" });
    await until(() => ann.said.length === 1, "m0");
    proxy.pause("hold");
    proxy.drop();
    await until(() => ann.client.status === "reconnecting", "ann reconnecting");
    for (const text of ["m1", "m2", "m3"]) bob.client.send("say", { text });
    await until(() => bob.said.length === 4, "bob's own");
    proxy.resume();
    await until(() => ann.said.length === 4, "ann resumed", 20_000, () => ann.texts());
    expect(ann.texts()).toEqual(["m0", "m1", "m2", "m3"]);
    expect(ann.resyncs).toBe(0);
  });
});
