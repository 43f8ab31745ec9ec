import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";
import { denoMemoryServer } from "./targets.ts";

/**
 * `denoRooms({ rooms })` without dataDir or kv keeps rooms in memory and needs
 * no Deno KV: a real deno process run without it (its config does not enable
 * KV, and the fixture refuses to start if KV is there anyway).
 */
describe("Deno in memory mode, without Deno KV", () => {
  const dataDir = tempDir("roomwire-deno-memory-");
  let server: RunningServer;
  const peers: Peer[] = [];
  const connect = async (type: string, room: string) => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/${type}/${room}`);
    peers.push(peer);
    return peer;
  };

  beforeAll(async () => {
    server = await startServer(denoMemoryServer.command, { PORT: String(await freePort()), DATA_DIR: dataDir });
  });
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await server?.stop();
    removeDir(dataDir);
  });

  it("runs in a process without Deno KV, where asking for dataDir still fails clearly", async () => {
    const response = await fetch(`${server.url}/no-kv`);
    const body = (await response.json()) as { openKv: string; dataDirError?: string };
    expect(body.openKv).toBe("undefined");
    expect(body.dataDirError).toMatch(/Deno KV is not enabled.*--unstable-kv.*leave out dataDir and kv/);
  });

  it("exchanges messages over a WebSocket", async () => {
    const peer = await connect("socket", `echo-${Date.now()}`);
    expect((await peer.request("echo", {})).data).toBe("sent");
    expect(await peer.next("echo")).toEqual({ type: "echo", data: {} });
    peer.raw(Buffer.from([1, 2, 3]));
    expect((await peer.next("binary")).data).toEqual({ uint8Array: true, bytes: [1, 2, 3] });
  });

  it("keeps room storage in memory, shared by the room's connections and kept after the last one leaves", async () => {
    const room = `store-${Date.now()}`;
    const [ann, bob] = [await connect("storage", room), await connect("storage", room)];
    expect((await ann.request("put", { key: "greeting", value: { text: "hi" } })).data).toBe(true);
    expect((await bob.request("get", { key: "greeting" })).data).toEqual({ found: true, value: { text: "hi" } });
    ann.close(1000);
    bob.close(1000);
    await Promise.all([ann.closed, bob.closed]);
    // The room's engine is dropped with its last socket; its storage is not.
    const later = await connect("storage", room);
    expect((await later.request("get", { key: "greeting" })).data).toEqual({ found: true, value: { text: "hi" } });
    const other = await connect("storage", `${room}-other`);
    expect((await other.request("get", { key: "greeting" })).data).toEqual({ found: false });
  });

  it("rings the room's alarm from memory", async () => {
    const peer = await connect("socket", `alarm-${Date.now()}`);
    expect((await peer.request("setAlarm", { inMs: 100 })).data).toBe(true);
    let state = (await peer.request("alarmState", {})).data;
    for (let attempt = 0; attempt < 100 && state.rang === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await peer.request("alarmState", {})).data;
    }
    expect(state).toEqual({ at: null, rang: 1 });
  });
});
