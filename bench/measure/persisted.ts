// Persisted: a room that stores every message (shared/stored-room.ts) against the same job written by hand on the runtime's own API.
import { PERSISTED_VARIANTS } from "../shared/protocol.ts";
import type { Bench, Failing } from "../lib/bench.ts";
import { fmt, markdownTable, pct, ratio } from "../lib/format.ts";
import { dataDir, hasPersisted, startServer, type Server } from "../lib/servers.ts";
import type { Runtime, Settings } from "../lib/settings.ts";
import { median, rotate, spread } from "../lib/stats.ts";
import { FanoutSession, type FanoutFigures } from "./fanout.ts";

export interface PersistedFigures extends FanoutFigures {
  /** Messages the room accepted per second: `say` whose sender got its own `said` back. */
  accepted: number;
}

export interface PersistedRow extends Failing {
  /** Messages each client sends in a measured round: fixed per server, from the warm-up's rate. */
  messages: number;
  warmup?: PersistedFigures;
  rounds: PersistedFigures[];
}

/** The persisted servers of a runtime, in table order: no hand-written one on workerd, none at all where the runtime has no persisted server. */
export function persistedVariants(runtime: Runtime): string[] {
  if (!hasPersisted(runtime)) return [];
  return PERSISTED_VARIANTS.filter((variant) => runtime !== "workerd" || variant !== "hand");
}

/**
 * The persisted scenario on one runtime: its servers run side by side, each with a fresh data
 * directory; each gets its clients and a warm-up round, which sizes its measured rounds; then
 * every pass measures each server once, in a rotated order. Servers stopped and directories
 * removed whatever happens.
 */
async function measureServers(runtime: Runtime, settings: Settings, rows: PersistedRow[], failed: (row: PersistedRow, what: string, error: unknown) => void): Promise<void> {
  const variants = persistedVariants(runtime);
  const rowOf = (variant: string) => rows.find((row) => row.runtime === runtime && row.variant === variant)!;
  const accepted = (figures: FanoutFigures): PersistedFigures => ({ ...figures, accepted: figures.rate / settings.persistedClients });
  const servers = new Map<string, Server>();
  const sessions = new Map<string, FanoutSession>();
  const dirs: { remove(): void }[] = [];
  try {
    for (const variant of variants) {
      const dir = dataDir(`${runtime}-${variant}`);
      dirs.push(dir);
      try {
        servers.set(variant, await startServer(runtime, variant, { persisted: { dataDir: dir.path } }));
      } catch (error) {
        failed(rowOf(variant), "start", error);
      }
    }
    for (const [variant, server] of servers) {
      const row = rowOf(variant);
      try {
        const load = { clients: settings.persistedClients, procs: 1, window: settings.persistedWindow, room: "stored", seq: variant === "roomwire-resume" };
        const { session, warm } = await FanoutSession.open(server, load, settings.persistedWarmup);
        sessions.set(variant, session);
        row.warmup = accepted(warm);
        row.messages = Math.max(5, Math.round((row.warmup.accepted * settings.persistedSeconds) / settings.persistedClients));
      } catch (error) {
        failed(row, "warm-up", error);
      }
    }
    for (let pass = 0; pass < settings.runs * settings.rounds; pass++) {
      for (const variant of rotate(variants, pass)) {
        const session = sessions.get(variant);
        if (!session) continue;
        const row = rowOf(variant);
        try {
          row.rounds.push(accepted(await session.round(row.messages)));
        } catch (error) {
          failed(row, `pass ${pass + 1}`, error);
          sessions.delete(variant);
          await session.close();
        }
      }
    }
  } finally {
    await Promise.all([...sessions.values()].map((session) => session.close()));
    await Promise.all([...servers.values()].map((server) => server.stop()));
    for (const dir of dirs) dir.remove();
  }
}

/** The persisted scenario on one runtime, its figures added to `rows` (made by `persistedRows`). */
export async function measurePersisted(bench: Bench, runtime: Runtime, rows: PersistedRow[]): Promise<void> {
  const t = Date.now();
  await measureServers(runtime, bench.settings, rows, (row, what, error) => bench.failed(row, `persisted ${what}`, error));
  for (const row of rows.filter((r) => r.runtime === runtime)) {
    const round = (f: PersistedFigures) => `${fmt(f.accepted)} (${f.serverUs.toFixed(0)} µs, server ${pct(f.serverCpu)})`;
    bench.log(`${runtime}/${row.variant} persisted msgs/s: warm-up ${row.warmup ? round(row.warmup) : "n/a"}; ${row.messages} per client: ${row.rounds.map(round).join(", ")}`);
  }
  bench.log(`${runtime} persisted took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/** An empty row for each persisted server of the chosen runtimes. */
export function persistedRows(settings: Settings): PersistedRow[] {
  return settings.runtimes.flatMap((runtime) => persistedVariants(runtime).map((variant) => ({ runtime, variant, messages: 0, rounds: [], errors: [] })));
}

export interface PersistedSummary {
  runtime: Runtime;
  /** Per server: median messages accepted per second, its ± (half the IQR over the median), server CPU µs per message, measured rounds. */
  rate: Record<string, number>;
  spread: Record<string, number>;
  serverUs: Record<string, number>;
  rounds: Record<string, number>;
  /** roomwire resume off ÷ hand-written, resume on ÷ hand-written, resume on ÷ resume off (medians). */
  offRatio: number;
  onRatio: number;
  onOff: number;
  errors: string[];
}

export function summarisePersisted(rows: PersistedRow[], settings: Settings): PersistedSummary[] {
  if (!settings.phases.includes("persisted")) return [];
  return settings.runtimes.filter(hasPersisted).map((runtime) => {
    const mine = rows.filter((row) => row.runtime === runtime);
    const per = (f: (row: PersistedRow) => number) =>
      Object.fromEntries(
        PERSISTED_VARIANTS.map((variant) => {
          const row = mine.find((r) => r.variant === variant);
          return [variant, row ? f(row) : Number.NaN];
        }),
      );
    const rate = per((row) => median(row.rounds.map((r) => r.accepted)));
    return {
      runtime,
      rate,
      spread: per((row) => spread(row.rounds.map((r) => r.accepted))),
      serverUs: per((row) => median(row.rounds.map((r) => r.serverUs))),
      rounds: per((row) => row.rounds.length),
      offRatio: rate.roomwire! / rate.hand!,
      onRatio: rate["roomwire-resume"]! / rate.hand!,
      onOff: rate["roomwire-resume"]! / rate.roomwire!,
      errors: mine.flatMap((row) => row.errors.map((e) => `${row.variant}: ${e}`)),
    };
  });
}

export function renderPersisted(rows: PersistedSummary[]): string {
  const header = ["runtime", "hand-written msg/s", "±", "roomwire msg/s", "±", "roomwire resume msg/s", "±", "roomwire ÷ hand-written", "resume ÷ hand-written", "resume on ÷ off", "server µs/msg hand / off / on"];
  const lines = rows.map((r) => {
    const none = r.runtime === "workerd";
    const cell = (variant: string) => (none && variant === "hand" ? "—" : fmt(r.rate[variant]!));
    const scatter = (variant: string) => (none && variant === "hand" ? "—" : Number.isFinite(r.spread[variant]!) ? `${Math.round(r.spread[variant]! * 100)}%` : "n/a");
    const us = (variant: string) => (none && variant === "hand" ? "—" : Number.isFinite(r.serverUs[variant]!) ? r.serverUs[variant]!.toFixed(0) : "n/a");
    return [
      r.runtime,
      cell("hand"),
      scatter("hand"),
      cell("roomwire"),
      scatter("roomwire"),
      cell("roomwire-resume"),
      scatter("roomwire-resume"),
      none ? "—" : ratio(r.offRatio),
      none ? "—" : ratio(r.onRatio),
      ratio(r.onOff),
      PERSISTED_VARIANTS.map(us).join(" / "),
    ];
  });
  return markdownTable(header, lines, 1);
}
