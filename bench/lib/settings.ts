// The bench's settings: defaults, the smoke run's sizes, and the command line.
import { resolve } from "node:path";
import { VARIANTS } from "../shared/protocol.ts";

const root = resolve(import.meta.dir, "../..");

/** The runtimes with bench servers (bench/servers), in table order. */
export const RUNTIMES = ["bun", "deno", "workerd", "node"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** What a run can measure; `npm run bench` measures them all. */
export const SCENARIOS = ["fanout", "rtt", "memory", "persisted"] as const;

export interface Settings {
  runs: number;
  runtimes: Runtime[];
  variants: string[];
  /** Fan-out: clients in the room, messages each sends (per runtime), own messages each keeps in flight, client processes. */
  clients: number;
  messages: Record<Runtime, number>;
  window: number;
  clientProcs: number;
  /** Request/reply: offered rate (requests/s, all connections together), connections, measured and warm-up seconds. */
  rate: number;
  rttClients: number;
  rttSeconds: number;
  rttWarmupSeconds: number;
  /** Idle connections at which the server's RSS is read. */
  idle: number[];
  /** Measured fan-out rounds per run (after the warm-up round); the run's figure is their median. */
  rounds: number;
  /** Idle connections opened and closed before the memory baseline, so the upgrade path's code is compiled before it. */
  warmConnections: number;
  /** Wait after the GC before reading RSS, ms. */
  settleMs: number;
  /** Persisted: clients in the room, own messages each keeps in flight, messages each sends in the warm-up round, seconds each measured round aims at. */
  persistedClients: number;
  persistedWindow: number;
  persistedWarmup: number;
  persistedSeconds: number;
  phases: string[];
  out: string;
  json: string;
  /** Which report files are written: both, except for a run of some scenarios only, which writes those --out and --json name. */
  write: { out: boolean; json: boolean };
  smoke: boolean;
}

const DEFAULTS: Settings = {
  runs: 3,
  runtimes: [...RUNTIMES],
  variants: [...VARIANTS],
  clients: 32,
  messages: { bun: 2000, deno: 100, workerd: 100, node: 150 },
  window: 16,
  clientProcs: 2,
  rate: 1000,
  rttClients: 4,
  rttSeconds: 2,
  rttWarmupSeconds: 0.5,
  idle: [2000, 10000],
  rounds: 2,
  warmConnections: 0,
  settleMs: 200,
  persistedClients: 8,
  persistedWindow: 4,
  persistedWarmup: 160,
  persistedSeconds: 3,
  phases: [...SCENARIOS],
  out: resolve(root, "bench/RESULTS.md"),
  json: resolve(root, "bench/results.json"),
  write: { out: true, json: true },
  smoke: false,
};

const SMOKE: Partial<Settings> = {
  runs: 1,
  runtimes: ["bun"],
  clients: 4,
  messages: { bun: 20, deno: 20, workerd: 20, node: 20 },
  window: 4,
  clientProcs: 1,
  rate: 200,
  rttClients: 2,
  rttSeconds: 0.3,
  rttWarmupSeconds: 0.1,
  idle: [20],
  persistedClients: 4,
  persistedWarmup: 10,
  persistedSeconds: 0.2,
};

const HELP = `npm run bench -- [options]
  --runs N              runs of every measurement; the table gives medians (default 3)
  --runtimes a,b        among ${RUNTIMES.join(",")} (default all)
  --variants a,b        among ${VARIANTS.join(",")} (default all; raw is always included: it is the reference)
  --clients N           fan-out clients in one room (default 32)
  --messages N | ${RUNTIMES.map((runtime) => `${runtime}=N`).join(",")}   messages each fan-out client sends (default ${RUNTIMES.map((runtime) => `${runtime}=${DEFAULTS.messages[runtime]}`).join(",")})
  --window N            own messages each fan-out client keeps in flight (default 16)
  --client-procs N      client processes sharing the fan-out clients (default 2)
  --rate N              request/reply offered rate, requests/s over all connections (default 1000)
  --rtt-clients N       request/reply connections (default 4)
  --rtt-seconds S       measured seconds of request/reply, after 0.5 s of warm-up (default 2)
  --idle a,b            idle connection counts at which server RSS is read (default 2000,10000)
  --rounds N            measured fan-out rounds per run, after a warm-up round; the run's figure is their median (default 2)
  --scenario a,b        among ${SCENARIOS.join(",")} (default all); a run of some scenarios prints its tables
                        and writes only the report files that --out and --json name
  --phases a,b          the same as --scenario, but writes the report files as a full run does
  --persisted-clients N   persisted: clients in one room (default 8)
  --persisted-window N    persisted: own messages each client keeps in flight (default 4)
  --persisted-warmup N    persisted: messages each client sends in the warm-up round, which also sizes the measured rounds (default 160)
  --persisted-seconds S   persisted: about how long each measured round lasts; its message count is fixed per server from the warm-up's rate (default 3)
  --warm-connections N  idle connections opened and closed before the memory baseline (default 0)
  --settle-ms N         wait after the GC before reading RSS (default 200)
  --out FILE            the Markdown report (default bench/RESULTS.md)
  --json FILE           the raw figures (default bench/results.json)
  --smoke               tiny sizes, one run, Bun only (unless --runtimes): checks the harness, not the speed`;

/** The settings of a run, from its command line; `--help` prints the options and exits. */
export function parseArgs(argv: string[]): Settings {
  const settings: Settings = { ...DEFAULTS, messages: { ...DEFAULTS.messages } };
  let scenario = false;
  const named = { out: false, json: false };
  if (argv.includes("--smoke")) Object.assign(settings, SMOKE, { smoke: true });
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--smoke") continue;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${HELP}`);
    const list = () => value.split(",").map((item) => item.trim()).filter(Boolean);
    const number = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${value}`);
      return n;
    };
    switch (flag) {
      case "--runs": settings.runs = number(); break;
      case "--runtimes": settings.runtimes = list() as Runtime[]; break;
      case "--variants": settings.variants = list(); break;
      case "--clients": settings.clients = number(); break;
      case "--messages":
        if (value.includes("=")) for (const pair of list()) { const [k, v] = pair.split("="); settings.messages[k as Runtime] = Number(v); }
        else { const n = number(); for (const runtime of RUNTIMES) settings.messages[runtime] = n; }
        break;
      case "--window": settings.window = number(); break;
      case "--client-procs": settings.clientProcs = number(); break;
      case "--rate": settings.rate = number(); break;
      case "--rtt-clients": settings.rttClients = number(); break;
      case "--rtt-seconds": settings.rttSeconds = number(); break;
      case "--idle": settings.idle = list().map(Number); break;
      case "--rounds": settings.rounds = number(); break;
      case "--warm-connections": settings.warmConnections = Number(value); break;
      case "--settle-ms": settings.settleMs = Number(value); break;
      case "--phases": settings.phases = list(); break;
      case "--scenario": settings.phases = list(); scenario = true; break;
      case "--persisted-clients": settings.persistedClients = number(); break;
      case "--persisted-window": settings.persistedWindow = number(); break;
      case "--persisted-warmup": settings.persistedWarmup = number(); break;
      case "--persisted-seconds": settings.persistedSeconds = number(); break;
      case "--out": settings.out = resolve(value); named.out = true; break;
      case "--json": settings.json = resolve(value); named.json = true; break;
      default: throw new Error(`unknown option ${flag}\n${HELP}`);
    }
  }
  for (const runtime of settings.runtimes) if (!RUNTIMES.includes(runtime)) throw new Error(`unknown runtime ${runtime}`);
  for (const phase of settings.phases) if (!(SCENARIOS as readonly string[]).includes(phase)) throw new Error(`unknown scenario ${phase}\n${HELP}`);
  const full = !scenario || SCENARIOS.every((phase) => settings.phases.includes(phase));
  settings.write = { out: full || named.out, json: full || named.json };
  for (const variant of settings.variants) if (!(VARIANTS as readonly string[]).includes(variant)) throw new Error(`unknown variant ${variant}`);
  if (!settings.variants.includes("raw")) settings.variants.unshift("raw");
  settings.variants = VARIANTS.filter((variant) => settings.variants.includes(variant));
  return settings;
}
