// What /proc says about the server's processes: memory, descriptors, TCP connections.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Every descendant of `pid` (children, grandchildren …) with its command name. */
export function descendants(pid: number): { pid: number; comm: string }[] {
  const children = new Map<number, number[]>();
  const comms = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      comms.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: { pid: number; comm: string }[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push({ pid: child, comm: comms.get(child) ?? "" });
      queue.push(child);
    }
  }
  return out;
}

/** Resident set size, MiB (0 once the process is gone). */
export function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Open descriptors: the entries of /proc/<pid>/fd. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

interface TcpSocket {
  localPort: number;
  state: string;
}

const STATES: Record<string, string> = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "03": "SYN_RECV",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0A": "LISTEN",
  "0B": "CLOSING",
};

/** Every TCP socket of this network namespace, by inode. */
function tcpSockets(): Map<string, TcpSocket> {
  const sockets = new Map<string, TcpSocket>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1]!.split(":")[1]!, 16);
      sockets.set(fields[9]!, { localPort, state: STATES[fields[3]!] ?? fields[3]! });
    }
  }
  return sockets;
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.push(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return inodes;
}

/**
 * The connections `pid` accepted on `port` and still holds (any state but
 * LISTEN, CLOSE_WAIT included: a peer that left but whose socket the server
 * did not close): socket inode → TCP state.
 */
export function acceptedOn(pid: number, port: number): Map<string, string> {
  const tcp = tcpSockets();
  const held = new Map<string, string>();
  for (const inode of socketInodes(pid)) {
    const socket = tcp.get(inode);
    if (socket && socket.state !== "LISTEN" && socket.localPort === port) held.set(inode, socket.state);
  }
  return held;
}

/** The ports `pid` listens on. */
export function listeningPorts(pid: number): number[] {
  const tcp = tcpSockets();
  return socketInodes(pid)
    .map((inode) => tcp.get(inode))
    .filter((socket): socket is TcpSocket => socket?.state === "LISTEN")
    .map((socket) => socket.localPort);
}
