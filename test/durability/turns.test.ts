import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEDGER_KEYS } from "../fixtures/ledger-room.ts";
import { fixtureServers } from "../storage/targets.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer, type Frame } from "../support/ws-client.ts";

/** SIGKILLs per runtime, each at a random moment while clients bump. */
const CYCLES = 4;
const CLIENTS = 3;
/** Bumps a client keeps unanswered, so the room always has a turn waiting and never a queue near its bounds. */
const IN_FLIGHT = 2;
/** The most bumps one cycle sends: the stream is bounded even when the kill comes late. */
const MAX_BUMPS = 20_000;
const KILL_AFTER_MS: [number, number] = [300, 1500];

type Bumped = Frame & { data: { v: number }; seq: number };
const isBumped = (frame: unknown): frame is Bumped => typeof frame === "object" && frame !== null && !Buffer.isBuffer(frame) && (frame as Frame).type === "bumped";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The highest `v` and `seq` of any `bumped` frame a client received. */
interface Seen {
  v: number;
  seq: number;
}
const record = (seen: Seen, frame: Bumped) => {
  seen.v = Math.max(seen.v, frame.data.v);
  seen.seq = Math.max(seen.seq, frame.seq);
};

/**
 * Atomic turns survive kill -9: everything one handler writes commits as one,
 * and no frame leaves before the writes behind it are durable. Clients send
 * `bump` to the ledger room back to back (each turn writes k0..k7, then v,
 * then broadcasts `bumped`); the server's whole process group is SIGKILLed at
 * a random moment and restarted on the same data directory, several times.
 * After each restart the keys and v agree, v is at least every v a client was
 * sent, and the room's sequence resumes at or past every seq a client saw.
 */
describe.each(fixtureServers)("atomic turns on $name", ({ name, command }) => {
  let dataDir = "";
  const servers: RunningServer[] = [];
  const peers: Peer[] = [];
  const start = async () => {
    const server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
    servers.push(server);
    return server;
  };
  const connect = async (server: RunningServer, room: string, since?: number) => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/ledger/${room}${since === undefined ? "" : `?roomwire_since=${since}`}`);
    // A SIGKILLed server may reset the connection; the close is what matters.
    peer.socket.on("error", () => {});
    peers.push(peer);
    return peer;
  };

  beforeAll(() => {
    dataDir = tempDir(`roomwire-turns-${name}-`);
  });
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    for (const server of servers) await killGroup(server);
    if (dataDir) removeDir(dataDir);
  });

  it(`keeps every turn whole across ${CYCLES} SIGKILLs (${CLIENTS} clients, ${LEDGER_KEYS} keys a turn)`, async () => {
    const room = `turns-${Date.now()}`;
    const seen: Seen = { v: 0, seq: 0 };
    let server = await start();

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(server, room)));
      await Promise.all(clients.map((client) => client.next("resume", 10_000)));
      const stream = { sent: 0, turns: 0 };
      const bumping = clients.map((client) => bump(client, stream, seen));

      const killAfter = Math.round(KILL_AFTER_MS[0] + Math.random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]));
      await sleep(killAfter);
      const group = processGroup(server.process.pid!);
      // On workerd the store lives in workerd, two processes below the one started: it must die with the group, at once.
      if (name === "workerd") expect(group.map((member) => member.name)).toContain("workerd");
      await killGroup(server);
      await Promise.all(bumping);
      // Every frame the server wrote before it died has been read: the sockets are closed.
      const before = { ...seen };

      server = await start();
      const checker = await connect(server, room, before.seq);
      const state: Frame & { seq: number } = await checker.next((frame) => typeof frame === "object" && !Buffer.isBuffer(frame) && (frame.type === "resume" || frame.type === "resync"), 10_000);
      // Frames replayed before `resume` were sent too: their writes must be there as well.
      const replayed = checker.frames.splice(0).filter(isBumped);
      const stored: { v: number; keys: number[] } = (await checker.request("read")).data;
      checker.send("bump");
      const next: Bumped = await checker.next("bumped", 10_000);
      record(seen, next);
      checker.drop();

      const figures =
        `${name}, cycle ${cycle}: killed after ${killAfter} ms and ${stream.turns} bumped; highest v seen ${before.v}, seq ${before.seq}; ` +
        `after restart: v ${stored.v}, keys [${stored.keys.join(",")}], ${state.type} ${state.seq}, ` +
        `replayed v ${replayed.map((frame) => frame.data.v).join(",") || "none"}, next bumped seq ${next.seq}`;
      expect.soft(stream.turns, `${figures}: no turn completed before the kill`).toBeGreaterThan(0);
      expect.soft(stored.keys, `${figures}: a turn is half applied`).toEqual(Array(LEDGER_KEYS).fill(stored.v));
      expect.soft(stored.v, `${figures}: a client was sent a v whose writes are lost`).toBeGreaterThanOrEqual(before.v);
      for (const frame of replayed) expect.soft(stored.v, `${figures}: a replayed v whose writes are lost`).toBeGreaterThanOrEqual(frame.data.v);
      expect.soft(state.type, `${figures}: the room cannot resume from the highest seq seen`).toBe("resume");
      expect.soft(state.seq, `${figures}: the room's sequence went back`).toBeGreaterThanOrEqual(before.seq);
      expect.soft(next.seq, `${figures}: a seq was numbered twice`).toBeGreaterThan(before.seq);
    }
  }, 90_000);
});

/**
 * Sends `bump` over `client` while fewer than IN_FLIGHT of its bumps are
 * unanswered, until the socket closes; records every `bumped` in `seen`.
 * Each client receives every broadcast, so `stream.sent` (bumps sent by all
 * clients) minus what this client received is what the room has yet to answer.
 */
async function bump(client: Peer, stream: { sent: number; turns: number }, seen: Seen): Promise<void> {
  let received = 0;
  let wake: (() => void) | undefined;
  client.socket.on("message", (data: Buffer, binary: boolean) => {
    if (binary || data[0] !== 0x7b) return;
    const frame: unknown = JSON.parse(data.toString());
    if (!isBumped(frame)) return;
    received++;
    stream.turns = Math.max(stream.turns, received);
    record(seen, frame);
    wake?.();
  });
  let open = true;
  const closed = client.closed.then(() => {
    open = false;
    wake?.();
  });
  while (open && stream.sent < MAX_BUMPS) {
    if (stream.sent - received < IN_FLIGHT * CLIENTS) {
      client.send("bump");
      stream.sent++;
      continue;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 200);
    });
    wake = undefined;
  }
  // The server dies within KILL_AFTER_MS; its sockets close with it.
  await Promise.race([closed, sleep(15_000)]);
}

/** SIGKILLs the server's whole process group at once and waits until no process of it is left. */
async function killGroup(server: RunningServer): Promise<void> {
  const group = server.process.pid!;
  await server.stop("SIGKILL");
  for (let attempt = 0; attempt < 100 && processGroup(group).length > 0; attempt++) await sleep(50);
  const left = processGroup(group);
  if (left.length > 0) throw new Error(`still running after SIGKILL to process group ${group}: ${left.map((member) => `${member.pid} ${member.name}`).join(", ")}`);
}

/** The live (not zombie) processes of process group `group`, from /proc (Linux). */
function processGroup(group: number): { pid: number; name: string }[] {
  const members: { pid: number; name: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === group && state !== "Z") members.push({ pid: Number(entry), name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {
      // the process ended meanwhile
    }
  }
  return members;
}
