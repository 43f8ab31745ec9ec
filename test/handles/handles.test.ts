import { describe, expect, it } from "vitest";
import { serversOf } from "../support/runtimes.ts";
import { suiteServer } from "../support/suite-server.ts";
import { Peer } from "../support/ws-client.ts";

/**
 * Room handles from server code (test/fixtures/handles-app.ts) on every
 * runtime: actions of empty rooms, one order with client events, errors,
 * broadcasts, room-to-room calls, and writes that outlive a restart.
 */

type Answer = { status: number; result?: any; code?: string; message?: string };

describe.each(serversOf("handles"))("room handles on $name", ({ name, command }) => {
  const suite = suiteServer(command, `roomwire-handles-${name}-`);
  const peers = suite.peers;
  const run = `${name}-${Date.now()}`;

  const post = async (path: string, data?: unknown): Promise<Answer> => {
    const response = await fetch(`${suite.server.url}${path}`, { method: "POST", body: data === undefined ? "" : JSON.stringify(data) });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const call = (room: string, action: string, data?: unknown) => post(`/call/counter/${room}/${action}`, data);
  const join = async (room: string, user: string) => {
    const peer = await Peer.connect(`${suite.server.wsUrl}/rooms/counter/${room}?user=${user}`);
    peers.push(peer);
    await peer.next("resume");
    return peer;
  };
  it("calls an action of a room nobody is in, and answers with its result once it is stored", async () => {
    const room = `empty-${run}`;
    expect(await call(room, "connections")).toMatchObject({ status: 200, result: 0 });
    expect(await call(room, "add", { by: 5 })).toMatchObject({ status: 200, result: 5 });
    expect(await call(room, "add", { by: 2 })).toMatchObject({ status: 200, result: 7 });
    // A client that joins later finds what the actions wrote.
    const ann = await join(room, "ann");
    const log = await ann.request("log");
    expect(log.data).toEqual([
      { by: 5, from: "server", total: 5 },
      { by: 2, from: "server", total: 7 },
    ]);
    expect(await call(room, "connections")).toMatchObject({ result: 1 });
  });

  it("runs calls and client events in one order, none lost", async () => {
    const room = `order-${run}`;
    const ann = await join(room, "ann");
    const count = 30;
    const calls: Promise<Answer>[] = [];
    for (let i = 0; i < count; i++) {
      ann.send("add", { by: 1 });
      calls.push(call(room, "add", { by: 1000 }));
    }
    const results = (await Promise.all(calls)).map((answer) => answer.result as number);
    const totals: { total: number; by: number; from: string }[] = [];
    for (let i = 0; i < 2 * count; i++) totals.push((await ann.next("total")).data);
    // Each change saw the one before it: the totals climb by exactly what each added.
    let running = 0;
    for (const change of totals) {
      running += change.by;
      expect(change.total).toBe(running);
    }
    expect(running).toBe(count * 1001);
    expect(totals.filter((change) => change.from === "ann")).toHaveLength(count);
    // Each call's result is the total right after its own change, in the one order.
    expect(new Set(results).size).toBe(count);
    const serverTotals = totals.filter((change) => change.from === "server").map((change) => change.total);
    expect(results).toEqual(expect.arrayContaining(serverTotals));
    expect((await ann.request("log")).data).toHaveLength(2 * count);
  });

  it("answers every bad call with a clear error, and keeps nothing of a failed action", async () => {
    const room = `errors-${run}`;
    await call(room, "add", { by: 1 });
    expect(await post(`/call/nope/${room}/add`, { by: 1 })).toMatchObject({ status: 400, code: "unknown_room", message: expect.stringContaining('No room type "nope"') });
    expect(await post(`/call/counter/a%20b/add`, { by: 1 })).toMatchObject({ status: 400, code: "invalid_data", message: expect.stringContaining("Invalid room name") });
    expect(await call(room, "nope")).toMatchObject({ status: 400, code: "unknown_action", message: expect.stringContaining('"add"') });
    expect(await call(room, "add", { by: "one" })).toMatchObject({ status: 400, code: "invalid_data", message: expect.stringContaining("at by") });
    expect(await call(room, "add")).toMatchObject({ status: 400, code: "invalid_data" });
    const failed = await call(room, "fail");
    expect(failed).toMatchObject({ status: 400, code: "action_failed", message: expect.stringContaining("failed on purpose") });
    await expect.poll(() => suite.server.output()).toContain(`error hook: counter/${room} during action: failed on purpose`);
    expect(await call(room, "refuse")).toMatchObject({ status: 400, code: "forbidden", message: "this action always refuses" });
    expect(await call(room, "bigint")).toMatchObject({ status: 400, code: "invalid_result" });
    expect(await call(room, "self")).toMatchObject({ status: 400, code: "self_call" });
    // The failed action's write (total = -1) was not kept; its error reached the error hook.
    expect(await call(room, "total")).toMatchObject({ result: 1 });
    const ann = await join(room, "ann");
    expect((await ann.request("log")).data).toEqual([{ by: 1, from: "server", total: 1 }]);
  });

  it("broadcasts from server code to everyone (numbered) or to one tag", async () => {
    const room = `broadcast-${run}`;
    const ann = await join(room, "ann");
    const bob = await join(room, "bob");
    expect(await post(`/broadcast/counter/${room}/notice`, { text: "to all" })).toMatchObject({ status: 200 });
    const [a, b] = [await ann.next("notice"), await bob.next("notice")];
    expect(a.data).toEqual({ text: "to all" });
    expect(b.seq).toBe(a.seq);
    expect(typeof a.seq).toBe("number");
    expect(await post(`/broadcast/counter/${room}/notice?tag=user:bob`, { text: "bob only" })).toMatchObject({ status: 200 });
    expect((await bob.next("notice")).data).toEqual({ text: "bob only" });
    // Ann gets the next one to all, and never bob's.
    await post(`/broadcast/counter/${room}/notice`, { text: "again" });
    expect((await ann.next("notice")).data).toEqual({ text: "again" });
    expect(ann.events("notice")).toEqual([]);
  });

  it("lets a room call another room", async () => {
    const from = `relay-from-${run}`;
    const to = `relay-to-${run}`;
    const watcher = await join(to, "watcher");
    expect(await call(from, "relay", { to, by: 4 })).toMatchObject({ status: 200, result: { to, total: 4 } });
    expect((await watcher.next("total")).data).toEqual({ total: 4, by: 4, from: "server" });
    expect(await call(to, "total")).toMatchObject({ result: 4 });
    expect(await call(from, "relay", { to, by: 1 })).toMatchObject({ result: { to, total: 5 } });
  });

  it("keeps what actions wrote across a restart", { timeout: 90_000 }, async () => {
    const room = `restart-${run}`;
    expect(await call(room, "add", { by: 9 })).toMatchObject({ result: 9 });
    await suite.restart();
    expect(await call(room, "total")).toMatchObject({ status: 200, result: 9 });
    expect(await call(`empty-${run}`, "total")).toMatchObject({ result: 7 });
  });
});
