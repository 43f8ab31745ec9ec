// The fan-out, request/reply and memory figures of every server, summarised into the main table and checked against the targets.
import { fmt, kib, ms, pct, ratio, signedKib, markdownTable } from "./format.ts";
import type { Runtime, Settings } from "./settings.ts";
import { median, spread } from "./stats.ts";
import type { FanoutRow } from "../measure/fanout.ts";
import type { MemoryRow } from "../measure/memory.ts";
import type { RttRow } from "../measure/request-reply.ts";

/** Everything measured of one server: one row of the main table. */
export interface Row extends FanoutRow, RttRow, MemoryRow {}

export interface Summary {
  runtime: Runtime;
  variant: string;
  runs: number;
  fanout: number;
  fanoutSpread: number;
  fanoutRatio: number;
  serverCpu: number;
  clientCpu: number;
  serverUs: number;
  serverUsRatio: number;
  p50: number;
  p99: number;
  p50Ratio: number;
  p99Ratio: number;
  lost: number;
  rttClientCpu: number;
  mem: Record<number, number>;
  memDelta: Record<number, number>;
  /** JS heap in use after a full GC, per idle connection, bytes. */
  heap: Record<number, number>;
  errors: string[];
}

/** Each row's medians, and their ratios to the raw server of the same runtime. */
export function summarise(rows: Row[], settings: Settings): Summary[] {
  const result: Summary[] = rows.map((row) => ({
    runtime: row.runtime,
    variant: row.variant,
    runs: Math.min(row.fanout.length, row.rtt.length, row.memory.length),
    fanout: median(row.fanout.map((f) => f.rate)),
    fanoutSpread: spread(row.fanout.map((f) => f.rate)),
    fanoutRatio: Number.NaN,
    serverCpu: median(row.fanout.map((f) => f.serverCpu)),
    clientCpu: median(row.fanout.map((f) => f.clientCpu)),
    serverUs: median(row.fanout.map((f) => f.serverUs)),
    serverUsRatio: Number.NaN,
    p50: median(row.rtt.map((r) => r.p50)),
    p99: median(row.rtt.map((r) => r.p99)),
    p50Ratio: Number.NaN,
    p99Ratio: Number.NaN,
    lost: row.rtt.reduce((sum, r) => sum + r.lost, 0),
    rttClientCpu: median(row.rtt.map((r) => r.clientCpu)),
    mem: Object.fromEntries(settings.idle.map((n) => [n, median(row.memory.map((m) => m.perConnection[n] ?? Number.NaN))])),
    memDelta: {},
    heap: Object.fromEntries(settings.idle.map((n) => [n, median(row.memory.map((m) => m.heapPerConnection[n] ?? Number.NaN))])),
    errors: [...row.errors, ...row.memory.flatMap((m) => m.notes)],
  }));
  for (const row of result) {
    const raw = result.find((r) => r.runtime === row.runtime && r.variant === "raw")!;
    row.fanoutRatio = row.fanout / raw.fanout;
    row.serverUsRatio = row.serverUs / raw.serverUs;
    row.p50Ratio = row.p50 / raw.p50;
    row.p99Ratio = row.p99 / raw.p99;
    row.memDelta = Object.fromEntries(settings.idle.map((n) => [n, row.mem[n]! - raw.mem[n]!]));
  }
  return result;
}


/** The main table: fan-out, request/reply and memory, one row per server. */
export function renderTable(rows: Summary[], settings: Settings): string {
  const idle = settings.idle;
  const header = [
    "runtime",
    "server",
    "fan-out msg/s",
    "±",
    "× raw",
    "server CPU",
    "client CPU",
    "server µs/msg",
    "× raw",
    "rtt p50 ms",
    "× raw",
    "rtt p99 ms",
    "× raw",
    ...idle.flatMap((n) => [`KiB/conn @${fmt(n)}`, "Δ raw KiB"]),
    `JS heap KiB/conn @${fmt(idle.at(-1)!)}`,
  ];
  const lines = rows.map((r) => [
    r.runtime,
    r.variant,
    fmt(r.fanout),
    Number.isFinite(r.fanoutSpread) ? `${Math.round(r.fanoutSpread * 100)}%` : "n/a",
    ratio(r.fanoutRatio),
    pct(r.serverCpu),
    pct(r.clientCpu),
    Number.isFinite(r.serverUs) ? r.serverUs.toFixed(1) : "n/a",
    ratio(r.serverUsRatio),
    ms(r.p50),
    ratio(r.p50Ratio),
    ms(r.p99),
    ratio(r.p99Ratio),
    ...idle.flatMap((n) => [kib(r.mem[n]!), r.variant === "raw" ? "—" : signedKib(r.memDelta[n]!)]),
    kib(r.heap[idle.at(-1)!]!),
  ]);
  return markdownTable(header, lines, 2);
}

/** A target of the bench (README: performance), and whether this run met it. */
export interface Target {
  what: string;
  value: string;
  met: boolean | undefined;
  /** For fan-out ratios: how far the two rows' runs scatter together (±, relative); a miss smaller than this is within the noise. */
  noise?: number;
  missBy?: number;
}

/** Every target checked against this run's medians. */
export function targets(rows: Summary[], settings: Settings): Target[] {
  const list: Target[] = [];
  const get = (runtime: Runtime, variant: string) => rows.find((r) => r.runtime === runtime && r.variant === variant);
  const check = (what: string, value: number, met: boolean, shown: string, extra: Partial<Target> = {}) =>
    list.push({ what, value: shown, met: Number.isFinite(value) ? met : undefined, ...extra });
  const noise = (a: Summary, b: Summary) => Math.hypot(a.fanoutSpread, b.fanoutSpread);
  const precise = (n: number) => (Number.isFinite(n) ? `${n.toFixed(3)}×` : "n/a");
  for (const runtime of settings.runtimes) {
    const raw = get(runtime, "raw");
    const roomwire = get(runtime, "roomwire");
    const rawMode = get(runtime, "roomwire-raw");
    const floor = runtime === "workerd" ? 0.9 : 0.95;
    for (const row of [roomwire, rawMode]) {
      if (!row || !raw) continue;
      const name = row.variant === "roomwire" ? "roomwire (typed)" : "roomwire (raw mode)";
      check(`${runtime}: fan-out, ${name} vs raw server ≥ ${floor}×`, row.fanoutRatio, row.fanoutRatio >= floor, precise(row.fanoutRatio), { noise: noise(row, raw), missBy: 1 - row.fanoutRatio / floor });
      for (const peer of ["crossws", "hono"]) {
        const other = get(runtime, peer);
        if (!other) continue;
        const value = row.fanout / other.fanout;
        check(`${runtime}: fan-out, ${name} vs ${peer} ≥ 1.0×`, value, value >= 1, precise(value), { noise: noise(row, other), missBy: 1 - value });
      }
      for (const n of settings.idle) {
        const delta = row.memDelta[n]!;
        check(`${runtime}: memory per idle connection @${fmt(n)}, ${name} ≤ raw + 1 KiB`, delta, delta <= 1024, `${signedKib(delta)} KiB`);
      }
    }
    if (roomwire && rawMode) {
      const cost = 1 - roomwire.fanout / rawMode.fanout;
      check(`${runtime}: typed, validated events cost ≤ 10% of raw mode's fan-out`, cost, cost <= 0.1, `${(cost * 100).toFixed(1)}%`, { noise: noise(roomwire, rawMode), missBy: cost - 0.1 });
    }
  }
  return list;
}

/** A target's verdict as the report words it. */
export function verdict(target: Target): string {
  if (target.met === undefined) return "n/a";
  if (target.met) return "met";
  if (target.noise !== undefined && target.missBy !== undefined && target.missBy <= target.noise) return `missed by ${(target.missBy * 100).toFixed(1)}%, within the runs' scatter (±${(target.noise * 100).toFixed(0)}%)`;
  return "**missed**";
}

/** The targets as printed after the table. */
export function renderTargets(rows: Summary[], settings: Settings): string {
  return targets(rows, settings)
    .map((t) => `${t.met === undefined ? "n/a " : t.met ? "met " : "MISS"}  ${t.what}: ${t.value}${t.met === false ? ` (${verdict(t).replace(/\*/g, "")})` : ""}`)
    .join("\n");
}
