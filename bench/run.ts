// roomwire's benchmark: roomwire against the raw runtimes, crossws and Hono, on Bun, Deno and workerd.
//   npm run bench                       the default bench (about 11 minutes on 2 cores); prints a table, writes bench/RESULTS.md and bench/results.json
//   npm run bench -- --scenario persisted   only the persisted scenario (a stored room against hand-written storage code); prints its table
//   npm run bench -- --smoke            a few seconds, tiny sizes: checks the harness works (test/bench/smoke.test.ts)
//   npm run bench -- --help             every setting
// The coordinator (this file) runs on Bun; it starts each server as its own process, and the
// load clients (bench/client.ts) as further Bun processes.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { PERSISTED_VARIANTS, VARIANTS } from "./shared/protocol.ts";

const root = resolve(import.meta.dir, "..");
const bin = (name: string) => resolve(root, "node_modules/.bin", name);
const RUNTIMES = ["bun", "deno", "workerd"] as const;
type Runtime = (typeof RUNTIMES)[number];

// ---------------------------------------------------------------- settings

interface Settings {
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

/** What a run can measure; `npm run bench` measures them all. */
const SCENARIOS = ["fanout", "rtt", "memory", "persisted"] as const;

const DEFAULTS: Settings = {
  runs: 3,
  runtimes: [...RUNTIMES],
  variants: [...VARIANTS],
  clients: 32,
  messages: { bun: 2000, deno: 100, workerd: 100 },
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
  messages: { bun: 20, deno: 20, workerd: 20 },
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
  --runtimes a,b        among bun,deno,workerd (default all)
  --variants a,b        among ${VARIANTS.join(",")} (default all; raw is always included: it is the reference)
  --clients N           fan-out clients in one room (default 32)
  --messages N | bun=N,deno=N,workerd=N   messages each fan-out client sends (default bun=2000,deno=100,workerd=100)
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

function parseArgs(argv: string[]): Settings {
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
        else settings.messages = { bun: number(), deno: number(), workerd: number() };
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

// ---------------------------------------------------------------- processes

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** What must not outlive the bench (server process groups, data directories): undone at exit, also on Ctrl-C or a crash. */
const leftovers = new Set<() => void>();
process.on("exit", () => {
  for (const undo of leftovers) undo();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

/** A fresh data directory for one server, removed after it (or at exit). */
function dataDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(os.tmpdir(), `roomwire-bench-${label}-`));
  const remove = () => {
    rmSync(path, { recursive: true, force: true });
    leftovers.delete(remove);
  };
  leftovers.add(remove);
  return { path, remove };
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function serverCommand(runtime: Runtime, variant: string): string[] {
  if (runtime === "bun") return [bin("bun"), resolve(root, "bench/servers/bun.ts"), variant];
  if (runtime === "deno") return [bin("deno"), "run", "-A", "--cached-only", "--v8-flags=--expose-gc", resolve(root, "bench/servers/deno.ts"), variant];
  return [process.env.BENCH_NODE ?? "node", resolve(root, "bench/servers/workerd.mjs"), variant];
}

/** A server of the persisted scenario; it keeps its database in DATA_DIR. */
function persistedCommand(runtime: Runtime, variant: string): string[] {
  if (runtime === "bun") return [bin("bun"), resolve(root, "bench/servers/bun-persisted.ts"), variant];
  if (runtime === "deno") return [bin("deno"), "run", "-A", "--cached-only", "--unstable-kv", resolve(root, "bench/servers/deno-persisted.ts"), variant];
  return [process.env.BENCH_NODE ?? "node", resolve(root, "bench/servers/workerd.mjs"), `persisted-${variant}`];
}

interface Server {
  url: string;
  /** A full garbage collection in the server (Bun: Bun.gc; Deno: gc(); workerd: a heap snapshot through the inspector); answers the JS heap in use after it, bytes. */
  gc(): Promise<number>;
  /** The process whose RSS and CPU are the server's (for workerd: the workerd process Miniflare started). */
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

async function startServer(runtime: Runtime, variant: string, options: { gc?: boolean; command?: string[]; env?: Record<string, string> } = {}): Promise<Server> {
  const port = await freePort();
  // workerd's GC goes through the inspector, opened only for the memory bench.
  const inspectorPort = runtime === "workerd" && options.gc ? await freePort() : undefined;
  const [command, ...args] = options.command ?? serverCommand(runtime, variant);
  const env = { ...process.env, ...options.env, PORT: String(port), ...(inspectorPort ? { INSPECTOR_PORT: String(inspectorPort) } : {}) };
  const child = spawn(command!, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // gone already
    }
  };
  const abandon = () => kill("SIGKILL");
  leftovers.add(abandon);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    // Whatever it started (workerd under Miniflare) goes with it.
    abandon();
    leftovers.delete(abandon);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${runtime}/${variant} server exited with ${child.exitCode}:\n${output}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${runtime}/${variant} server did not answer /health within 60 s:\n${output}`);
    }
    await sleep(50);
  }
  const pid = runtime === "workerd" ? descendantNamed(child.pid!, "workerd") : child.pid!;
  const gc = async () => {
    if (inspectorPort) return inspectorGc(inspectorPort);
    if (runtime === "workerd") throw new Error("start the workerd server with { gc: true } to collect garbage");
    const response = await fetch(`${url}/__gc`);
    if (!response.ok) throw new Error(`GET /__gc answered ${response.status}`);
    return ((await response.json()) as { heapUsed: number }).heapUsed;
  };
  return { url: `ws://127.0.0.1:${port}`, pid, gc, output: () => output, stop };
}

/**
 * A full GC in every isolate of a workerd process, through its inspector.
 * workerd's inspector does not answer HeapProfiler.collectGarbage, so this
 * takes a heap snapshot (V8 collects garbage fully before it takes one) and
 * throws the snapshot away. Answers the JS heap in use, over all isolates.
 */
async function inspectorGc(port: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  let heap = 0;
  for (const { webSocketDebuggerUrl } of targets) {
    heap += await new Promise<number>((done, reject) => {
      const ws = new WebSocket(webSocketDebuggerUrl.replace("//localhost:", "//127.0.0.1:"));
      const timer = setTimeout(() => reject(new Error(`inspector ${webSocketDebuggerUrl}: no answer`)), 30_000);
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: "HeapProfiler.takeHeapSnapshot", params: { reportProgress: false } }));
      ws.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: { usedSize: number } };
        if (message.id === 1) ws.send(JSON.stringify({ id: 2, method: "Runtime.getHeapUsage" }));
        if (message.id !== 2) return;
        clearTimeout(timer);
        ws.close();
        done(message.result!.usedSize);
      };
      ws.onerror = () => reject(new Error(`inspector ${webSocketDebuggerUrl}: socket error`));
    });
  }
  return heap;
}

/** The first descendant process of `pid` whose command name is `name`. */
function descendantNamed(pid: number, name: string): number {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of new Bun.Glob("[0-9]*").scanSync({ cwd: "/proc", onlyFiles: false })) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      names.set(Number(entry), comm);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of children.get(next) ?? []) {
      if (names.get(child) === name) return child;
      queue.push(child);
    }
  }
  throw new Error(`no ${name} process under ${pid}`);
}

/** Resident set size of a process, in KiB. */
function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
/** CPU time (user + system, every thread) a process has used, in ms. */
function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** A load client process (bench/client.ts) and its line protocol. */
class Client {
  private readonly events: Record<string, unknown>[] = [];
  private waiting: ((event: Record<string, unknown>) => void) | undefined;
  private readonly child: ChildProcess;
  private stderr = "";

  constructor(job: object) {
    this.child = spawn(bin("bun"), [resolve(root, "bench/client.ts"), JSON.stringify(job)], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr!.on("data", (chunk) => (this.stderr += chunk));
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.push(JSON.parse(line)));
    this.child.once("exit", (code) => this.push({ event: "error", message: `client exited with ${code}: ${this.stderr.slice(-2000)}` }));
  }

  private push(event: Record<string, unknown>): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(event);
    else this.events.push(event);
  }

  /** The next event; an error event from the client throws. */
  async next(timeoutMs = 120_000): Promise<Record<string, any>> {
    const event =
      this.events.shift() ??
      (await new Promise<Record<string, unknown>>((done, reject) => {
        const timer = setTimeout(() => reject(new Error(`a client sent nothing for ${timeoutMs} ms`)), timeoutMs);
        this.waiting = (event) => {
          clearTimeout(timer);
          done(event);
        };
      }));
    if (event.event === "error") throw new Error(String(event.message));
    return event;
  }

  send(command: object): void {
    this.child.stdin!.write(JSON.stringify(command) + "\n");
  }

  /** Closes its connections and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once("exit", () => done()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Spreads `count` names c<i> over `procs` client processes of one job kind, and waits until every connection is open and registered. */
async function startClients(procs: number, count: number, job: Record<string, unknown>, prefix = "c"): Promise<Client[]> {
  const clients: Client[] = [];
  for (let p = 0; p < procs; p++) {
    const names: string[] = [];
    for (let i = p; i < count; i += procs) names.push(`${prefix}${i}`);
    if (names.length > 0) clients.push(new Client({ ...job, names }));
  }
  try {
    await Promise.all(clients.map((client) => client.next()));
  } catch (error) {
    await Promise.all(clients.map((client) => client.stop()));
    throw error;
  }
  return clients;
}

// ---------------------------------------------------------------- measurements

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
/** Half the interquartile range over the median: how far the runs scatter, ±. */
const spread = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 2) return Number.NaN;
  const at = (q: number) => {
    const i = q * (sorted.length - 1);
    const lo = Math.floor(i);
    return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo);
  };
  return (at(0.75) - at(0.25)) / 2 / median(sorted);
};
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface FanoutFigures {
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
interface FanoutLoad {
  clients: number;
  procs: number;
  window: number;
  room: string;
  seq?: boolean;
}

/** Fan-out clients of one server: connected once, warmed up with a first round (its frames checked), then measured round by round. */
class FanoutSession {
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

interface RttFigures {
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

interface MemoryFigures {
  /** Server RSS with no connection (after one warm-up connection has come and gone), KiB. */
  base: number;
  /** RSS difference per idle connection at each count, bytes; NaN where it could not be measured. */
  perConnection: Record<number, number>;
  /** JS heap in use (after a full GC) per idle connection at each count, bytes: what the server's JavaScript keeps per connection. */
  heapPerConnection: Record<number, number>;
  notes: string[];
  /** How long the connects and reads took, for tuning the bench. */
  timings: string[];
}

/** RSS (KiB) after a full GC, once it has settled: the lowest of a few reads; and the JS heap in use (bytes). */
async function settledRss(server: Server, settleMs: number): Promise<{ rss: number; heap: number }> {
  const heap = await server.gc();
  await sleep(settleMs);
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) {
    reads.push(rssKiB(server.pid));
    await sleep(50);
  }
  return { rss: Math.min(...reads), heap };
}

async function measureMemory(runtime: Runtime, variant: string, settings: Settings, run: number): Promise<MemoryFigures> {
  const server = await startServer(runtime, variant, { gc: true });
  const clients: Client[] = [];
  const figures: MemoryFigures = { base: 0, perConnection: {}, heapPerConnection: {}, notes: [], timings: [] };
  try {
    // Warm up the upgrade and message paths once, in another room, so their code is loaded before the baseline.
    const warm = await startClients(1, 2, { kind: "fanout", url: server.url, room: `warm-${run}`, peers: 2 }, "w");
    warm[0]!.send({ cmd: "arm", messages: 5, window: 5 });
    await warm[0]!.next();
    warm[0]!.send({ cmd: "go" });
    await warm[0]!.next();
    await warm[0]!.stop();
    if (settings.warmConnections > 0) {
      const idle = await startClients(1, settings.warmConnections, { kind: "idle", url: server.url, room: `warm-idle-${run}` }, "v");
      await Promise.all(idle.map((client) => client.stop()));
    }
    const base = await settledRss(server, settings.settleMs);
    figures.base = base.rss;
    let open = 0;
    for (const target of [...settings.idle].sort((a, b) => a - b)) {
      const more = target - open;
      // Up to 5,000 connections per client process.
      const procs = Math.max(1, Math.ceil(more / 5000));
      try {
        const t = Date.now();
        const started = await startClients(procs, more, { kind: "idle", url: server.url, room: `idle-${run}` }, `i${open}-`);
        figures.timings.push(`${more} connections in ${Date.now() - t} ms`);
        clients.push(...started);
        open = target;
        const t2 = Date.now();
        const now = await settledRss(server, settings.settleMs);
        figures.timings.push(`gc and rss in ${Date.now() - t2} ms`);
        figures.perConnection[target] = ((now.rss - base.rss) * 1024) / target;
        figures.heapPerConnection[target] = (now.heap - base.heap) / target;
      } catch (error) {
        figures.perConnection[target] = Number.NaN;
        figures.notes.push(`${target} idle connections: ${(error as Error).message.split("\n")[0]}`);
        break;
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await server.stop();
  }
  return figures;
}

// ---------------------------------------------------------------- persisted

interface PersistedFigures extends FanoutFigures {
  /** Messages the room accepted per second: `say` whose sender got its own `said` back. */
  accepted: number;
}

interface PersistedRow {
  runtime: Runtime;
  variant: string;
  /** Messages each client sends in a measured round: fixed per server, from the warm-up's rate. */
  messages: number;
  warmup?: PersistedFigures;
  rounds: PersistedFigures[];
  errors: string[];
}

/** The persisted servers of a runtime, in table order: no hand-written one on workerd. */
function persistedVariants(runtime: Runtime): string[] {
  return PERSISTED_VARIANTS.filter((variant) => runtime !== "workerd" || variant !== "hand");
}

/** A list in a different order for each pass, so none of its items always goes first (or last). */
const rotate = <T>(list: readonly T[], pass: number): T[] => list.map((_, i) => list[(i + pass) % list.length]!);

/**
 * The persisted scenario on one runtime: its servers run side by side, each with a fresh data
 * directory; each gets its clients and a warm-up round, which sizes its measured rounds; then
 * every pass measures each server once, in a rotated order. Servers stopped and directories
 * removed whatever happens.
 */
async function measurePersisted(runtime: Runtime, settings: Settings, rows: PersistedRow[], failed: (row: PersistedRow, what: string, error: unknown) => void): Promise<void> {
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
        servers.set(variant, await startServer(runtime, variant, { command: persistedCommand(runtime, variant), env: { DATA_DIR: dir.path } }));
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

interface PersistedSummary {
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

function summarisePersisted(rows: PersistedRow[], settings: Settings): PersistedSummary[] {
  if (!settings.phases.includes("persisted")) return [];
  return settings.runtimes.map((runtime) => {
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

function renderPersisted(rows: PersistedSummary[]): string {
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
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((cell, i) => (i < 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  return [row(header), `| ${widths.map((w, i) => (i < 1 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`, ...lines.map(row)].join("\n");
}

// ---------------------------------------------------------------- the run

interface Row {
  runtime: Runtime;
  variant: string;
  fanout: FanoutFigures[];
  rtt: RttFigures[];
  memory: MemoryFigures[];
  errors: string[];
}

function versionOf(command: string[]): string {
  try {
    const result = Bun.spawnSync(command, { cwd: root });
    return result.stdout.toString().split("\n")[0]!.trim();
  } catch {
    return "?";
  }
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(resolve(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

function machine() {
  return {
    date: new Date().toISOString(),
    cpu: `${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    versions: {
      bun: versionOf([bin("bun"), "--version"]),
      deno: versionOf([bin("deno"), "--version"]),
      workerd: `${versionOf([bin("workerd"), "--version"])} (npm workerd ${packageVersion("workerd")}, via Miniflare ${packageVersion("miniflare")})`,
      node: versionOf([process.env.BENCH_NODE ?? "node", "--version"]),
      client: `bun ${Bun.version} (bench/client.ts, minimal RFC 6455 client on Bun's TCP sockets)`,
      crossws: packageVersion("crossws"),
      hono: packageVersion("hono"),
      valibot: packageVersion("valibot"),
    },
  };
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const info = machine();
  const loadBefore = os.loadavg();
  const started = Date.now();
  const rows: Row[] = [];
  for (const runtime of settings.runtimes) for (const variant of settings.variants) rows.push({ runtime, variant, fanout: [], rtt: [], memory: [], errors: [] });
  const phases = settings.phases;
  const persistedRows: PersistedRow[] = [];
  if (phases.includes("persisted"))
    for (const runtime of settings.runtimes) for (const variant of persistedVariants(runtime)) persistedRows.push({ runtime, variant, messages: 0, rounds: [], errors: [] });
  const log = (line: string) => process.stderr.write(line + "\n");
  log(`roomwire bench: ${settings.runs} run(s) × ${settings.runtimes.join(", ")} × ${settings.variants.join(", ")}; ${phases.join(", ")}; load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);

  const rowOf = (runtime: Runtime, variant: string) => rows.find((r) => r.runtime === runtime && r.variant === variant)!;
  /** The variants in a different order for each pass, so none always goes first (or last). */
  const rotated = (pass: number) => settings.variants.map((_, i) => settings.variants[(i + pass) % settings.variants.length]!);
  const failed = (row: { runtime: Runtime; variant: string; errors: string[] }, what: string, error: unknown) => {
    row.errors.push(`${what}: ${(error as Error).message.slice(0, 500)}`);
    log(`${row.runtime}/${row.variant}: ${what} FAILED: ${(error as Error).message.slice(0, 500)}`);
  };

  for (const runtime of settings.runtimes) {
    // Fan-out and request/reply: every variant's server runs at once (idle while another is measured),
    // and the passes interleave them, so a change in the machine's load falls on all of them alike.
    if (phases.includes("fanout") || phases.includes("rtt")) {
      const servers = new Map<string, Server>();
      for (const variant of settings.variants) {
        try {
          servers.set(variant, await startServer(runtime, variant));
        } catch (error) {
          failed(rowOf(runtime, variant), "start", error);
        }
      }
      try {
        if (phases.includes("fanout")) {
          const t = Date.now();
          const sessions = new Map<string, FanoutSession>();
          for (const [variant, server] of servers) {
            try {
              const load = { clients: settings.clients, procs: settings.clientProcs, window: settings.window, room: "fan" };
              sessions.set(variant, (await FanoutSession.open(server, load, settings.messages[runtime])).session);
            } catch (error) {
              failed(rowOf(runtime, variant), "fan-out warm-up", error);
            }
          }
          for (let pass = 0; pass < settings.runs * settings.rounds; pass++) {
            for (const variant of rotated(pass)) {
              const session = sessions.get(variant);
              if (!session) continue;
              try {
                rowOf(runtime, variant).fanout.push(await session.round());
              } catch (error) {
                failed(rowOf(runtime, variant), `fan-out pass ${pass + 1}`, error);
                sessions.delete(variant);
                await session.close();
              }
            }
          }
          await Promise.all([...sessions.values()].map((session) => session.close()));
          for (const variant of settings.variants) {
            const figures = rowOf(runtime, variant).fanout;
            log(`${runtime}/${variant} fan-out: ${figures.map((f) => `${fmt(f.rate)} (${f.serverUs.toFixed(1)} µs, server ${pct(f.serverCpu)}, clients ${pct(f.clientCpu)})`).join(", ")}`);
          }
          log(`${runtime} fan-out took ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
        if (phases.includes("rtt")) {
          const t = Date.now();
          const sessions = new Map<string, RttSession>();
          for (const [variant, server] of servers) {
            try {
              sessions.set(variant, await RttSession.open(server, settings));
            } catch (error) {
              failed(rowOf(runtime, variant), "request/reply connect", error);
            }
          }
          for (let pass = 0; pass < settings.runs; pass++) {
            for (const variant of rotated(pass)) {
              const session = sessions.get(variant);
              if (!session) continue;
              try {
                rowOf(runtime, variant).rtt.push(await session.measure());
              } catch (error) {
                failed(rowOf(runtime, variant), `request/reply pass ${pass + 1}`, error);
              }
            }
          }
          await Promise.all([...sessions.values()].map((session) => session.close()));
          for (const variant of settings.variants) {
            const figures = rowOf(runtime, variant).rtt;
            log(`${runtime}/${variant} request/reply p50/p99 ms: ${figures.map((r) => `${ms(r.p50)}/${ms(r.p99)}`).join(", ")}`);
          }
          log(`${runtime} request/reply took ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
      } finally {
        await Promise.all([...servers.values()].map((server) => server.stop()));
      }
    }
    // Memory: a fresh server process for every measurement.
    if (phases.includes("memory")) {
      const t = Date.now();
      for (let pass = 0; pass < settings.runs; pass++) {
        for (const variant of rotated(pass)) {
          const row = rowOf(runtime, variant);
          try {
            row.memory.push(await measureMemory(runtime, variant, settings, pass + 1));
          } catch (error) {
            failed(row, `memory pass ${pass + 1}`, error);
          }
        }
      }
      for (const variant of settings.variants) {
        const figures = rowOf(runtime, variant).memory;
        log(`${runtime}/${variant} KiB per idle connection (JS heap): ${figures.map((m) => settings.idle.map((n) => `@${n} ${(m.perConnection[n]! / 1024).toFixed(2)} (${(m.heapPerConnection[n]! / 1024).toFixed(2)})`).join(" ")).join(", ")}`);
      }
      log(`${runtime} memory took ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    if (phases.includes("persisted")) {
      const t = Date.now();
      await measurePersisted(runtime, settings, persistedRows, (row, what, error) => failed(row, `persisted ${what}`, error));
      for (const row of persistedRows.filter((r) => r.runtime === runtime)) {
        const round = (f: PersistedFigures) => `${fmt(f.accepted)} (${f.serverUs.toFixed(0)} µs, server ${pct(f.serverCpu)})`;
        log(`${runtime}/${row.variant} persisted msgs/s: warm-up ${row.warmup ? round(row.warmup) : "n/a"}; ${row.messages} per client: ${row.rounds.map(round).join(", ")}`);
      }
      log(`${runtime} persisted took ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  }
  const loadAfter = os.loadavg();
  const seconds = (Date.now() - started) / 1000;
  const summary = summarise(rows, settings);
  const persisted = summarisePersisted(persistedRows, settings);
  const report = { machine: info, load: { before: loadBefore, after: loadAfter }, seconds, settings, rows: summary, raw: rows, persisted: { rows: persisted, raw: persistedRows } };
  const table = renderTable(summary, settings);
  const persistedTable = renderPersisted(persisted);
  if (phases.some((phase) => phase !== "persisted")) {
    console.log(table);
    console.log(renderTargets(summary, settings));
  }
  if (phases.includes("persisted")) console.log(`\npersisted (messages accepted per second):\n${persistedTable}`);
  const done = `${seconds.toFixed(0)} s; load average ${loadAfter.map((l) => l.toFixed(2)).join(" ")}`;
  const written: string[] = [];
  if (settings.write.json) {
    writeFileSync(settings.json, JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2) + "\n");
    written.push(settings.json);
  }
  if (settings.write.out) {
    writeFileSync(settings.out, renderMarkdown(report, table, summary, persistedTable, persisted, settings));
    written.push(settings.out);
  }
  log(written.length > 0 ? `wrote ${written.join(" and ")} in ${done}` : `done in ${done} (a run of some scenarios writes only the files --out and --json name)`);
  if (rows.some((row) => row.errors.length > 0) || persistedRows.some((row) => row.errors.length > 0)) process.exitCode = 1;
}

// ---------------------------------------------------------------- summary and report

interface Summary {
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

function summarise(rows: Row[], settings: Settings): Summary[] {
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

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "n/a");
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : n === Infinity ? "lost" : "n/a");
const kib = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(2) : "n/a");
const signedKib = (bytes: number) => (Number.isFinite(bytes) ? `${bytes >= 0 ? "+" : "−"}${Math.abs(bytes / 1024).toFixed(2)}` : "n/a");

function renderTable(rows: Summary[], settings: Settings): string {
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
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  return [row(header), `| ${widths.map((w, i) => (i < 2 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`, ...lines.map(row)].join("\n");
}

interface Target {
  what: string;
  value: string;
  met: boolean | undefined;
  /** For fan-out ratios: how far the two rows' runs scatter together (±, relative); a miss smaller than this is within the noise. */
  noise?: number;
  missBy?: number;
}

function targets(rows: Summary[], settings: Settings): Target[] {
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

function verdict(target: Target): string {
  if (target.met === undefined) return "n/a";
  if (target.met) return "met";
  if (target.noise !== undefined && target.missBy !== undefined && target.missBy <= target.noise) return `missed by ${(target.missBy * 100).toFixed(1)}%, within the runs' scatter (±${(target.noise * 100).toFixed(0)}%)`;
  return "**missed**";
}

function renderTargets(rows: Summary[], settings: Settings): string {
  return targets(rows, settings)
    .map((t) => `${t.met === undefined ? "n/a " : t.met ? "met " : "MISS"}  ${t.what}: ${t.value}${t.met === false ? ` (${verdict(t).replace(/\*/g, "")})` : ""}`)
    .join("\n");
}

function renderMarkdown(
  report: { machine: ReturnType<typeof machine>; load: { before: number[]; after: number[] }; seconds: number },
  table: string,
  rows: Summary[],
  persistedTable: string,
  persisted: PersistedSummary[],
  settings: Settings,
): string {
  const { machine: m, load } = report;
  const previous = (() => {
    try {
      return readFileSync(settings.out, "utf8");
    } catch {
      return "";
    }
  })();
  // Hand-written analysis below this marker survives a new run.
  const marker = "<!-- analysis: kept across runs -->";
  const analysis = previous.includes(marker) ? previous.slice(previous.indexOf(marker)) : `${marker}\n`;
  const errors = [...rows.flatMap((r) => r.errors.map((e) => `- ${r.runtime}/${r.variant}: ${e}`)), ...persisted.flatMap((r) => r.errors.map((e) => `- ${r.runtime} persisted/${e}`))];
  const ran = (phase: string) => settings.phases.includes(phase);
  return `# roomwire benchmark results

Generated by \`npm run bench\` (bench/run.ts)${settings.smoke ? " — **smoke run: tiny sizes, not a measurement**" : ""}.
Fan-out figures are medians of ${settings.runs} runs × ${settings.rounds} rounds, request/reply and memory figures medians of ${settings.runs} runs;
every ratio compares medians measured in this one invocation. The machine was shared with other work: see the load averages.

| | |
| --- | --- |
| date | ${m.date} |
| machine | ${m.cpu}, ${m.memory}, ${m.os} |
| load average (1/5/15 min) | before ${load.before.map((l) => l.toFixed(2)).join(" / ")}, after ${load.after.map((l) => l.toFixed(2)).join(" / ")} |
| duration | ${report.seconds.toFixed(0)} s |
| Bun | ${m.versions.bun} |
| Deno | ${m.versions.deno} |
| workerd | ${m.versions.workerd} |
| Node (Miniflare host) | ${m.versions.node} |
| load client | ${m.versions.client} |
| crossws / Hono / valibot | ${m.versions.crossws} / ${m.versions.hono} / ${m.versions.valibot} |

## How it measures

- **Order**: for each runtime, the five servers run side by side (idle while another is measured) and every pass measures
  all five in a rotated order, so a change in the machine's load falls on all of them alike. Memory uses a fresh server per measurement.
- **Fan-out** (the chat-room shape): ${settings.clients} clients in one room, over ${settings.clientProcs} client process(es); each sends M
  \`{"type":"say","data":{"text":"hello from c7 #12"}}\` (M = ${settings.runtimes.map((r) => `${settings.messages[r]} on ${r}`).join(", ")}),
  keeping at most ${settings.window} of its own in flight (its own \`said\` coming back frees a slot), and must receive every client's every
  message as \`{"type":"said","data":{"from":"c7","text":"…"}}\` — counted exactly: a missing or extra frame fails the run.
  Figure: \`said\` frames received per second over all clients, first send to last frame, after one warm-up round.
  \`±\`: half the interquartile range of the rounds, over the median. \`server CPU\`, \`client CPU\`: CPU time over wall time
  (100% = one core; clients: all client processes together). \`server µs/msg\`: server CPU time per fanned-out message (one \`say\` in, ${settings.clients} \`said\` out).
- **Request/reply**: ${settings.rttClients} connections, \`{"type":"echo","id":n}\` → \`{"type":"reply","id":n,"data":null}\` at a fixed offered rate
  of ${settings.rate}/s (round-robin), ${settings.rttSeconds} s measured after ${settings.rttWarmupSeconds} s of warm-up. Latency runs from each request's
  *intended* send time (start + n / rate), so a stall shows in the figures instead of delaying the sends (no coordinated omission);
  a lost reply counts as infinitely late.
- **Memory per idle connection**: a fresh server; a warm-up pair of connections comes and goes; a full GC, then the server's RSS
  (the workerd process's on workerd); then ${settings.idle.map(fmt).join(", then ")} idle connections in one room (each checked with ping → pong),
  a full GC and RSS again. Figure: RSS difference / connections. GC: \`Bun.gc(true)\`; Deno \`gc()\` (\`--v8-flags=--expose-gc\`);
  workerd: a heap snapshot through the inspector (its inspector does not answer \`HeapProfiler.collectGarbage\`; V8 collects
  fully before a snapshot). \`JS heap KiB/conn\`: the JavaScript heap in use after that GC, per connection — what the server's code keeps.
- **Same settings for every server of a runtime**: no compression (the client offers no extension and fails if one is negotiated);
  Bun: \`perMessageDeflate: false\`, \`backpressureLimit\` 16 MiB, \`closeOnBackpressureLimit: false\`, \`idleTimeout\` 120 s, \`maxPayloadLength\` 1 MiB;
  Deno: \`idleTimeout\` 120 s (Deno has no WebSocket compression); workerd: compatibility date 2026-04-20, served by Miniflare (no wrangler proxy),
  one Durable Object per room, the Worker forwarding the upgrade to it.
- **Servers** (bench/servers): \`raw\` — the runtime's own API, no library (the physical limit): Bun \`server.publish\`; Deno a loop over a \`Set\`;
  workerd a Durable Object on the hibernation API looping over \`getWebSockets()\`. \`crossws\` — its adapter for the runtime, broadcast by
  \`peer.send\` + \`peer.publish\` (on workerd its Durable Object mode, hibernation API). \`hono\` — Hono's \`upgradeWebSocket\` (Bun: \`server.publish\`,
  as Hono's Bun pub/sub example; Deno: a \`Set\`; workerd: inside the room's Durable Object, where Hono's helper accepts with the standard,
  non-hibernating API and calls no \`onOpen\`, so a socket joins with its first frame). \`roomwire\` — bench/shared/rooms.ts with
  **typed, validated events** (valibot). \`roomwire-raw\` — **raw mode: the same room with \`v.unknown()\` schemas, so no validation cost**.
  Servers without a protocol implement the frames by hand (bench/shared/protocol.ts): \`ping\` → \`pong\`, \`say\` → \`said\` to everyone, \`echo\` → \`reply\`.
  roomwire's rooms keep the rate limiter running on every frame, with limits so high that it never triggers (the default, 50/s, would drop the bench's frames).
- **Persisted** (a room that stores every message): the room of bench/shared/stored-room.ts, written with roomwire's public API:
  each \`say\` runs \`n = (await room.storage.get("n")) ?? 0\`, \`put("n", n + 1)\`, \`put("e:" + n padded to 10 digits, { from, text, at })\`,
  then \`room.broadcast("said", { from, text })\` — as \`roomwire\` (resume off) and \`roomwire resume\` (\`resume: true\`: every \`said\` is also
  numbered and logged in room storage, 1,000 kept). Against it, the same job written by hand on the runtime's own API
  (bench/servers/bun-persisted.ts, deno-persisted.ts): Bun — \`Bun.serve\` WebSockets + \`bun:sqlite\` in WAL mode, one statement per read or
  write (get n, put n, put the entry), then \`server.publish\`; Deno — \`Deno.serve\` + \`Deno.upgradeWebSocket\` + Deno KV: per message, read n,
  then one \`kv.atomic()\` commit of n and the entry, the room's messages one after another, then a loop over the room's sockets.
  workerd has no hand-written server: its row compares resume on with resume off. Every server starts with a fresh temporary data
  directory, removed afterwards (roomwire: SQLite on Bun, Deno KV on Deno, the Durable Object's storage on workerd, on disk as
  \`wrangler dev --persist-to\` keeps it). Load: ${settings.persistedClients} clients in one room (one client process), each keeping ${settings.persistedWindow} of
  its own \`say\` in flight (its own \`said\` coming back frees a slot), every \`said\` of every client counted exactly as in fan-out.
  A warm-up round of ${settings.persistedWarmup} messages per client (so a resumable room's log is full and trimming) sizes the measured rounds:
  each server's rounds send a fixed count, about ${settings.persistedSeconds} s at its warm-up rate. Figure: messages accepted per second
  (\`said\` received ÷ clients, first send to last frame), median of ${settings.runs} runs × ${settings.rounds} rounds, the servers of a runtime side by side,
  in a rotated order, as in fan-out. \`server µs/msg\`: server CPU time per accepted message.
- **Client**: bench/client.ts on **Bun**, a minimal RFC 6455 client on Bun's TCP sockets: it masks what it sends, answers pings and reads
  only frame headers and the bytes it checks. Bun's built-in WebSocket client and \`ws\` on Node spent more CPU per received frame than
  Bun's \`publish\` spends per sent one (while this bench was built, against the raw Bun server: Node + \`ws\` ~0.3 M frames/s, Bun's client ~1 M, this one ~2 M+).

## Results

${table}

\`× raw\`: the ratio to the raw server of the same runtime (fan-out: higher is better; CPU and latency: lower is better).
\`Δ raw KiB\`: memory per idle connection minus the raw server's.
${ran("persisted") ? `
## Persisted

Messages accepted per second by a room that stores each one (see How it measures).

${persistedTable}

\`roomwire ÷ hand-written\`, \`resume ÷ hand-written\`: roomwire with resume off and on against the same job written by hand on the same
runtime (higher is better); \`resume on ÷ off\`: what numbering and logging each broadcast costs.
` : ""}
## Targets

| target | measured | |
| --- | --- | --- |
${targets(rows, settings)
  .map((t) => `| ${t.what} | ${t.value} | ${verdict(t)} |`)
  .join("\n")}
${errors.length ? `\n## Errors\n\n${errors.join("\n")}\n` : ""}
${analysis}`;
}

await main();
