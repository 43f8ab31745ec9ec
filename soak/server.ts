// A chat server process per runtime, started as the conformance suite starts it, and the processes to measure.
import { runtimes, type Runtime } from "../test/conformance/runtimes.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../test/support/server.ts";
import { acceptedOn, descendants, fdCount, listeningPorts, rssMiB } from "./proc.ts";

export const RUNTIME_NAMES = runtimes.map((runtime) => runtime.name);

export interface ChatServer {
  runtime: string;
  wsUrl: string;
  /** The processes measured: the runtime itself (for workerd, every workerd under wrangler). */
  pids: number[];
  /** What each measured process is, when there are several ("proxy", "worker"). */
  roles: Map<number, string>;
  /** Summed over `pids`. */
  rss(): number;
  fds(): number;
  /** Connections accepted on the public port and still held (for workerd: by wrangler's proxy workerd): socket inode → TCP state. */
  held(): Map<string, string>;
  /** workerd only: connections the worker's own process accepted (from the proxy) and still holds. */
  innerHeld(): Map<string, string>;
  output(): string;
  stop(): Promise<void>;
}

export async function startChat(name: string): Promise<ChatServer> {
  const runtime: Runtime | undefined = runtimes.find((candidate) => candidate.name === name);
  if (!runtime) throw new Error(`unknown runtime ${name}; known: ${RUNTIME_NAMES.join(", ")}`);
  const dataDir = tempDir("roomwire-soak-");
  const port = await freePort();
  let server: RunningServer;
  try {
    server = await startServer(runtime.command, { PORT: String(port), DATA_DIR: dataDir });
  } catch (error) {
    removeDir(dataDir);
    throw error;
  }
  const stop = async () => {
    await server.stop();
    removeDir(dataDir);
  };
  try {
    const root = server.process.pid!;
    // wrangler runs two workerd processes: a proxy on the public port, and the worker behind it.
    const pids = name === "workerd" ? descendants(root).filter((process) => process.comm === "workerd").map((process) => process.pid) : [root];
    if (pids.length === 0) throw new Error(`no workerd process under ${root}`);
    const front = pids.find((pid) => listeningPorts(pid).includes(port)) ?? pids[0]!;
    const inner = pids.filter((pid) => pid !== front);
    const roles = new Map(pids.length > 1 ? pids.map((pid) => [pid, pid === front ? "proxy" : "worker"]) : []);
    return {
      runtime: name,
      wsUrl: server.wsUrl,
      pids,
      roles,
      rss: () => pids.reduce((sum, pid) => sum + rssMiB(pid), 0),
      fds: () => pids.reduce((sum, pid) => sum + fdCount(pid), 0),
      held: () => acceptedOn(front, port),
      innerHeld: () => {
        const held = new Map<string, string>();
        for (const pid of inner) for (const innerPort of listeningPorts(pid)) for (const [inode, state] of acceptedOn(pid, innerPort)) held.set(inode, state);
        return held;
      },
      output: server.output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
