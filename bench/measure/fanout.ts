// Fan-out, the chat-room shape: clients in one room, each sending and receiving every client's every message.
import type { Bench, Failing } from "../lib/bench.ts";
import { startClients, type Client } from "../lib/clients.ts";
import { fmt, pct } from "../lib/format.ts";
import { cpuTimeMs } from "../lib/proc.ts";
import type { Server } from "../lib/servers.ts";
import type { Runtime } from "../lib/settings.ts";
import { rotate } from "../lib/stats.ts";

export interface FanoutFigures {
  /** Messages received per second at the clients. */
  rate: number;
  ms: number;
  received: number;
  /** Server and client CPU time over wall time (1 = one core). */
  serverCpu: number;
  clientCpu: number;
  /** Server CPU time per message it fanned out (one `say` in, `clients` × `said` out), µs. */
  serverUs: number;
}

/** The shape of a fan-out load: clients in one room, over client processes; own messages each keeps in flight; `seq`: the room numbers its frames (resume). */
export interface FanoutLoad {
  clients: number;
  procs: number;
  window: number;
  room: string;
  seq?: boolean;
}

/** Fan-out clients of one server: connected once, warmed up with a first round (its frames checked), then measured round by round. */
export class FanoutSession {
  private constructor(
    private readonly server: Server,
    private readonly clients: Client[],
    private readonly messages: number,
    private readonly load: FanoutLoad,
  ) {}

  /** Connects the clients and runs the warm-up round of `warmup` messages per client; answers the session and the warm-up's figures. */
  static async open(server: Server, load: FanoutLoad, messages: number, warmup = messages): Promise<{ session: FanoutSession; warm: FanoutFigures }> {
    const clients = await startClients(load.procs, load.clients, { kind: "fanout", url: server.url, room: load.room, peers: load.clients });
    const session = new FanoutSession(server, clients, messages, load);
    try {
      return { session, warm: await session.round(warmup, true) };
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  async round(count = this.messages, check = false): Promise<FanoutFigures> {
    const { clients, server, load } = this;
    for (const client of clients) client.send({ cmd: "arm", messages: count, window: load.window, check, seq: load.seq ?? false, timeoutMs: 60_000 });
    await Promise.all(clients.map((client) => client.next()));
    const cpu0 = cpuTimeMs(server.pid);
    for (const client of clients) client.send({ cmd: "go" });
    const results = await Promise.all(clients.map((client) => client.next()));
    const serverMs = cpuTimeMs(server.pid) - cpu0;
    const failed = results.find((result) => result.error);
    if (failed) throw new Error(String(failed.error));
    const start = Math.min(...results.map((r) => r.start as number));
    const end = Math.max(...results.map((r) => r.end as number));
    const received = results.reduce((sum, r) => sum + (r.received as number), 0);
    const expected = load.clients * load.clients * count;
    if (received !== expected) throw new Error(`fan-out received ${received} said frames, expected ${expected}`);
    const ms = end - start;
    const clientMs = results.reduce((sum, r) => sum + (r.cpuMs as number), 0);
    return { rate: received / (ms / 1000), ms, received, serverCpu: serverMs / ms, clientCpu: clientMs / ms, serverUs: (serverMs * 1000) / (load.clients * count) };
  }

  close(): Promise<unknown> {
    return Promise.all(this.clients.map((client) => client.stop()));
  }
}

/** A row that takes fan-out figures. */
export interface FanoutRow extends Failing {
  fanout: FanoutFigures[];
}

/**
 * Fan-out on one runtime's servers, all running: each gets its clients and a warm-up round, then
 * every pass measures each server once, in a rotated order, so a change in the machine's load falls on all alike.
 */
export async function measureFanout(bench: Bench, runtime: Runtime, servers: Map<string, Server>, rowOf: (variant: string) => FanoutRow): Promise<void> {
  const { settings, log } = bench;
  const t = Date.now();
  const sessions = new Map<string, FanoutSession>();
  for (const [variant, server] of servers) {
    try {
      const load = { clients: settings.clients, procs: settings.clientProcs, window: settings.window, room: "fan" };
      sessions.set(variant, (await FanoutSession.open(server, load, settings.messages[runtime])).session);
    } catch (error) {
      bench.failed(rowOf(variant), "fan-out warm-up", error);
    }
  }
  for (let pass = 0; pass < settings.runs * settings.rounds; pass++) {
    for (const variant of rotate(settings.variants, pass)) {
      const session = sessions.get(variant);
      if (!session) continue;
      try {
        rowOf(variant).fanout.push(await session.round());
      } catch (error) {
        bench.failed(rowOf(variant), `fan-out pass ${pass + 1}`, error);
        sessions.delete(variant);
        await session.close();
      }
    }
  }
  await Promise.all([...sessions.values()].map((session) => session.close()));
  for (const variant of settings.variants) {
    const figures = rowOf(variant).fanout;
    log(`${runtime}/${variant} fan-out: ${figures.map((f) => `${fmt(f.rate)} (${f.serverUs.toFixed(1)} µs, server ${pct(f.serverCpu)}, clients ${pct(f.clientCpu)})`).join(", ")}`);
  }
  log(`${runtime} fan-out took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
