import { resolve } from "node:path";
import { RATE_BURST, RATE_PER_SECOND } from "./chat.ts";

export const ATTACKS = ["fuzz", "paused", "amplification", "churn"] as const;
export type Attack = (typeof ATTACKS)[number];
const RUNTIMES = ["bun", "deno", "workerd", "node"];

export interface Settings {
  runtimes: string[];
  attacks: Attack[];
  seed: number;
  quick: boolean;
  /** Fuzz: frames per runtime, connections, connections per room, frames per second per connection, answers awaited per connection. */
  frames: number;
  connections: number;
  roomSize: number;
  rate: number;
  window: number;
  /** An answer not received this long after its frame is missing. */
  answerTimeoutMs: number;
  /** Paused reader and amplification: seconds of attack, history requests per second per reader, readers in the amplification. */
  pausedSeconds: number;
  pausedRate: number;
  amplification: number;
  /** Churn: connect/disconnect cycles, and how many run at once. */
  cycles: number;
  churnConcurrency: number;
  /** The normal client's `who` per second. */
  normalRate: number;
  /** How often the server's RSS and descriptors are read, and the wait before the figures "after". */
  sampleMs: number;
  settleMs: number;
  /** One server process per runtime for all its attacks (else a fresh one per attack). */
  shared: boolean;
  out: string;
  json: string | undefined;
}

const root = resolve(import.meta.dirname, "..");

export const DEFAULTS: Settings = {
  runtimes: RUNTIMES,
  attacks: [...ATTACKS],
  seed: 1,
  quick: false,
  frames: 1_000_000,
  connections: 400,
  roomSize: 10,
  rate: 40,
  window: 40,
  answerTimeoutMs: 20_000,
  pausedSeconds: 30,
  pausedRate: 40,
  amplification: 10,
  cycles: 5_000,
  churnConcurrency: 20,
  normalRate: 5,
  sampleMs: 100,
  settleMs: 2_000,
  shared: false,
  out: resolve(root, "soak/RESULTS.md"),
  json: undefined,
};

/** A few seconds per runtime: what `npm test` runs (test/soak/soak.test.ts). */
export const QUICK: Partial<Settings> = {
  quick: true,
  frames: 12_000,
  connections: 100,
  pausedSeconds: 3,
  cycles: 300,
  settleMs: 1_000,
  answerTimeoutMs: 10_000,
  shared: true,
};

export const HELP = `npm run soak -- [options]
  --runtime NAME      bun, deno, workerd or node; repeatable (default: all four)
  --attack NAME       fuzz, paused, amplification or churn; repeatable (default: all four)
  --seed N            the fuzz PRNG's seed: the same seed sends the same frames (default 1)
  --frames N          fuzz frames per runtime (default 1,000,000; --quick 12,000)
  --connections N     fuzz connections, ${DEFAULTS.roomSize} to a room (default ${DEFAULTS.connections}; --quick ${QUICK.connections})
  --rate N            fuzz frames per second per connection, under the limit of ${RATE_PER_SECOND}/s (default ${DEFAULTS.rate})
  --window N          fuzz answers awaited per connection before it sends more (default ${DEFAULTS.window}, under the burst of ${RATE_BURST})
  --seconds N         paused reader and amplification: seconds of attack (default ${DEFAULTS.pausedSeconds}; --quick ${QUICK.pausedSeconds})
  --cycles N          churn: connect/disconnect cycles (default ${DEFAULTS.cycles}; --quick ${QUICK.cycles})
  --shared | --fresh  one server process per runtime for every attack, or a fresh one per attack (default --fresh; --quick --shared)
  --quick             a few seconds per runtime (what npm test runs)
  --out FILE          the Markdown report (default soak/RESULTS.md)
  --json FILE         every figure as JSON`;

export function parseArgs(argv: string[]): Settings {
  const settings: Settings = { ...DEFAULTS, ...(argv.includes("--quick") ? QUICK : {}) };
  const runtimes: string[] = [];
  const attacks: Attack[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (flag === "--quick") continue;
    if (flag === "--shared" || flag === "--fresh") {
      settings.shared = flag === "--shared";
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${HELP}`);
    const count = () => {
      const n = Number(value.replaceAll("_", "").replaceAll(",", ""));
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${value}`);
      return n;
    };
    switch (flag) {
      case "--runtime":
        if (!RUNTIMES.includes(value)) throw new Error(`unknown runtime ${value}; one of ${RUNTIMES.join(", ")}`);
        runtimes.push(value);
        break;
      case "--attack":
        if (!(ATTACKS as readonly string[]).includes(value)) throw new Error(`unknown attack ${value}; one of ${ATTACKS.join(", ")}`);
        attacks.push(value as Attack);
        break;
      case "--seed": settings.seed = count(); break;
      case "--frames": settings.frames = count(); break;
      case "--connections": settings.connections = Math.max(1, count()); break;
      case "--rate": settings.rate = Math.max(1, count()); break;
      case "--window": settings.window = Math.max(1, count()); break;
      case "--seconds": settings.pausedSeconds = Math.max(1, count()); break;
      case "--cycles": settings.cycles = count(); break;
      case "--out": settings.out = resolve(value); break;
      case "--json": settings.json = resolve(value); break;
      default: throw new Error(`unknown option ${flag}\n${HELP}`);
    }
  }
  if (runtimes.length > 0) settings.runtimes = RUNTIMES.filter((name) => runtimes.includes(name));
  if (attacks.length > 0) settings.attacks = ATTACKS.filter((name) => attacks.includes(name));
  if (settings.rate >= RATE_PER_SECOND) console.error(`note: --rate ${settings.rate} is not under the rate limit (${RATE_PER_SECOND}/s): expect rate_limited answers`);
  return settings;
}
