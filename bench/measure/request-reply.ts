// Request/reply: latency at a fixed offered rate, measured from each request's intended send time.
import type { Bench, Failing } from "../lib/bench.ts";
import { startClients, type Client } from "../lib/clients.ts";
import { ms } from "../lib/format.ts";
import type { Server } from "../lib/servers.ts";
import type { Runtime, Settings } from "../lib/settings.ts";
import { percentile, rotate } from "../lib/stats.ts";

export interface RttFigures {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  lost: number;
  clientCpu: number;
}

/** Request/reply connections of one server (one client process). */
class RttSession {
  private constructor(
    private readonly client: Client,
    private readonly settings: Settings,
  ) {}

  static async open(server: Server, settings: Settings): Promise<RttSession> {
    const [client] = await startClients(1, settings.rttClients, { kind: "rtt", url: server.url, room: "rtt" }, "r");
    return new RttSession(client!, settings);
  }

  async measure(): Promise<RttFigures> {
    const { client, settings } = this;
    client.send({ cmd: "go", rate: settings.rate, durationMs: settings.rttSeconds * 1000, warmupMs: settings.rttWarmupSeconds * 1000 });
    const result = await client.next();
    const all = result.latencies as (number | null)[];
    const latencies = all.filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
    const lost = all.length - latencies.length;
    if (latencies.length === 0) throw new Error("no request was answered");
    // A lost request counts as an infinitely slow one.
    const at = (p: number) => (lost / all.length > 1 - p / 100 ? Infinity : percentile(latencies, (p * all.length) / latencies.length));
    return { p50: at(50), p99: at(99), max: lost > 0 ? Infinity : latencies.at(-1)!, samples: all.length, lost, clientCpu: (result.cpuMs as number) / (result.wallMs as number) };
  }

  close(): Promise<void> {
    return this.client.stop();
  }
}

/** A row that takes request/reply figures. */
export interface RttRow extends Failing {
  rtt: RttFigures[];
}

/** Request/reply on one runtime's servers, all running: every pass measures each once, in a rotated order. */
export async function measureRequestReply(bench: Bench, runtime: Runtime, servers: Map<string, Server>, rowOf: (variant: string) => RttRow): Promise<void> {
  const { settings, log } = bench;
  const t = Date.now();
  const sessions = new Map<string, RttSession>();
  for (const [variant, server] of servers) {
    try {
      sessions.set(variant, await RttSession.open(server, settings));
    } catch (error) {
      bench.failed(rowOf(variant), "request/reply connect", error);
    }
  }
  for (let pass = 0; pass < settings.runs; pass++) {
    for (const variant of rotate(settings.variants, pass)) {
      const session = sessions.get(variant);
      if (!session) continue;
      try {
        rowOf(variant).rtt.push(await session.measure());
      } catch (error) {
        bench.failed(rowOf(variant), `request/reply pass ${pass + 1}`, error);
      }
    }
  }
  await Promise.all([...sessions.values()].map((session) => session.close()));
  for (const variant of settings.variants) {
    const figures = rowOf(variant).rtt;
    log(`${runtime}/${variant} request/reply p50/p99 ms: ${figures.map((r) => `${ms(r.p50)}/${ms(r.p99)}`).join(", ")}`);
  }
  log(`${runtime} request/reply took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
