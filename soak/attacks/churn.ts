// Attack 4: connect/disconnect cycles, ended every way a client can end them; then no ghosts may remain.
import { chatPath } from "../chat.ts";
import { Peer } from "../peer.ts";
import { Rng } from "../prng.ts";
import { RawSocket } from "../raw-socket.ts";
import { RemoteNormal } from "../remote-normal.ts";
import type { ChatServer } from "../server.ts";
import type { Settings } from "../settings.ts";
import { Tally } from "../tally.ts";
import { Measure } from "./measure.ts";
import { fromTally, type AttackResult } from "./result.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KIND = "churn";
/** How long `who` may take to forget a peer that has gone. */
const GHOST_WAIT_MS = 10_000;

const STYLES = {
  /** Waits for its welcome, then a close frame with 1000, 4000 or no code. */
  close: 3,
  /** Says something and closes at once, before its own `said` arrives. */
  "say-and-close": 2,
  /** Asks `who` and closes before the reply. */
  "request-and-close": 2,
  /** Drops the TCP link after the upgrade, without a close frame. */
  drop: 2,
  /** Asks for the whole history without reading, then drops the link with unread data (a reset). */
  "drop-unread": 1,
  /** Sends part of the upgrade request and drops the link. */
  "half-handshake": 1,
  /** Sends the whole upgrade request and drops the link before the 101. */
  "drop-before-101": 1,
} as const;

type Style = keyof typeof STYLES;

export async function churn(server: ChatServer, settings: Settings): Promise<AttackResult> {
  const started = performance.now();
  const tally = new Tally();
  const room = `churn-s${settings.seed}`;
  const normal = await RemoteNormal.join(server.wsUrl, room, /^(normal|newcomer|c\d+)$/, tally, settings);
  const measure = new Measure(server, settings.sampleMs);
  const styles = new Map<Style, number>();

  const cycle = async (index: number) => {
    const rng = Rng.derive(settings.seed, 0xc0ffee, index);
    const style = rng.weighted(STYLES);
    styles.set(style, (styles.get(style) ?? 0) + 1);
    const user = `c${index}`;
    const path = chatPath(room, user);
    try {
      await run(style, rng, server.wsUrl, path, () => tally.sentOne(style));
    } catch (error) {
      tally.wrongOne(KIND, `${style} ${user}: ${(error as Error).message}`);
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < settings.cycles) await cycle(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(settings.churnConcurrency, settings.cycles) }, worker));

    // Every cycle has ended: `who` must come to list the normal client alone.
    const cyclesDone = Date.now();
    const deadline = cyclesDone + GHOST_WAIT_MS;
    let peers = await normal.peers();
    while (peers.some((peer) => peer.user !== normal.user) && Date.now() < deadline) {
      await sleep(250);
      peers = await normal.peers();
    }
    const ghosts = peers.filter((peer) => peer.user !== normal.user);
    const cleanAfter = Date.now() - cyclesDone;
    for (const ghost of ghosts.slice(0, 3)) tally.wrongOne(KIND, `ghost: who still lists ${ghost.user} (${ghost.id}) ${GHOST_WAIT_MS / 1000} s after it left`);

    // A newcomer's welcome must agree.
    const fresh = await welcomePeers(server.wsUrl, chatPath(room, "newcomer"));
    const welcomeGhosts = fresh.filter((peer) => peer.user !== normal.user && peer.user !== "newcomer");
    if (welcomeGhosts.length > 0) tally.wrongOne(KIND, `ghost: a newcomer's welcome lists ${welcomeGhosts.map((peer) => peer.user).slice(0, 5).join(", ")}`);

    await normal.stop();
    const measured = await measure.end(settings.settleMs);
    return {
      runtime: server.runtime,
      attack: "churn",
      ...fromTally(tally),
      rss: measured.rss,
      held: measured.held,
      slowCloses: 0,
      p99Ms: normal.p99(),
      fdPeak: measured.fdPeak,
      ghosts: Math.max(ghosts.length, welcomeGhosts.length),
      notes: [
        `${settings.cycles} cycles (${[...styles].map(([style, n]) => `${style} ${n}`).join(", ")})`,
        ...(ghosts.length === 0 ? [`who listed only live peers ${cleanAfter} ms after the last cycle`] : []),
        ...measured.notes,
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    measure.abort();
    normal.kill();
    throw error;
  }
}

/** One cycle: connect, perhaps send one frame, and leave the way `style` says. `sent` counts frames sent. */
async function run(style: Style, rng: Rng, wsUrl: string, path: string, sent: () => void): Promise<void> {
  switch (style) {
    case "close":
    case "say-and-close":
    case "request-and-close": {
      let welcomed!: () => void;
      const welcome = new Promise<void>((resolve) => (welcomed = resolve));
      const peer = await Peer.open(wsUrl + path, (data) => typeof data === "string" && data.startsWith('{"type":"welcome"') && welcomed());
      if (style !== "request-and-close") await withTimeout(welcome, "no welcome");
      if (style === "say-and-close") peer.send(JSON.stringify({ type: "say", data: { text: `bye from ${path}` } }));
      if (style === "request-and-close") peer.send(JSON.stringify({ type: "who", id: 1 }));
      if (style !== "close") sent();
      peer.close(...(style === "close" ? rng.pick<[number?]>([[1000], [4000], []]) : [1000]));
      await withTimeout(peer.closed, "no close");
      return;
    }
    case "drop": {
      const socket = await RawSocket.open(wsUrl, path);
      await sleep(rng.int(0, 30));
      socket.destroy();
      return;
    }
    case "drop-unread": {
      const socket = await RawSocket.open(wsUrl, path, { paused: true });
      socket.sendText(JSON.stringify({ type: "history", id: 1, data: { limit: 200 } }));
      sent();
      await sleep(rng.int(5, 50));
      socket.destroy();
      return;
    }
    case "half-handshake":
      return RawSocket.abandonHandshake(wsUrl, path, rng.int(1, 120));
    case "drop-before-101":
      return RawSocket.abandonHandshake(wsUrl, path);
  }
}

async function welcomePeers(wsUrl: string, path: string): Promise<{ id: string; user: string }[]> {
  let got!: (peers: { id: string; user: string }[]) => void;
  const peers = new Promise<{ id: string; user: string }[]>((resolve) => (got = resolve));
  const peer = await Peer.open(wsUrl + path, (data) => {
    if (typeof data === "string" && data.startsWith('{"type":"welcome"')) got(JSON.parse(data).data.peers);
  });
  try {
    return await withTimeout(peers, "no welcome");
  } finally {
    peer.close(1000);
    await Promise.race([peer.closed, sleep(2_000)]);
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
