// Attack 1: seeded hostile frames over many connections, every answer checked; a watcher in another room must see nothing.
import { chatPath } from "../chat.ts";
import { FrameGen, type Planned } from "../frames.ts";
import { Ledger } from "../ledger.ts";
import { Members } from "../members.ts";
import { Peer } from "../peer.ts";
import { Rng } from "../prng.ts";
import { RemoteNormal } from "../remote-normal.ts";
import type { ChatServer } from "../server.ts";
import type { Settings } from "../settings.ts";
import { clip, Tally } from "../tally.ts";
import { Measure } from "./measure.ts";
import { fromTally, type AttackResult } from "./result.ts";

const TICK_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One fuzz connection: its frames, what it awaits, and its socket (replaced after a 1009). */
interface Slot {
  user: string;
  room: string;
  gen: FrameGen;
  ledger: Ledger;
  remaining: number;
  credit: number;
  /** A frame that closes the connection, held until nothing else is awaited. */
  held: Planned | undefined;
  peer: Peer | undefined;
  state: "connecting" | "open" | "closing" | "done" | "failed";
  welcomed: boolean;
  connects: number;
  slowCloses: number;
}

export async function fuzz(server: ChatServer, settings: Settings, log: (line: string) => void): Promise<AttackResult> {
  const started = performance.now();
  const tally = new Tally();
  const members = new Members();
  const prefix = `s${settings.seed}`;
  const slots: Slot[] = [];
  for (let i = 0; i < settings.connections; i++) {
    const group = Math.floor(i / settings.roomSize);
    const user = `z${group}_${i}`;
    const room = `fuzz-${prefix}-${group}`;
    members.add(user, room);
    // Frames split evenly; each connection's frames come from its own stream of the seed.
    const remaining = Math.floor(settings.frames / settings.connections) + (i < settings.frames % settings.connections ? 1 : 0);
    const ledger = new Ledger(tally, members, user, room);
    slots.push({ user, room, gen: new FrameGen(Rng.derive(settings.seed, i), user), ledger, remaining, credit: 0, held: undefined, peer: undefined, state: "connecting", welcomed: false, connects: 0, slowCloses: 0 });
  }

  const measure = new Measure(server, settings.sampleMs);
  const watcher = await Watcher.join(server.wsUrl, `watch-${prefix}`, tally, members);
  // Alone in a room of its own: it measures the whole server, and must see no one else.
  const normal = await RemoteNormal.join(server.wsUrl, `normal-${prefix}`, /^normal$/, tally, settings);

  // Closes nobody asked for, by code and reason, with when they happened: a burst points at the server as a whole.
  const closes = new Map<string, { count: number; first: number; last: number }>();
  const unexpectedClose = (code: number, reason: string) => {
    const key = reason ? `${code} "${reason.slice(0, 60)}"` : String(code);
    const at = (performance.now() - started) / 1000;
    const seen = closes.get(key) ?? { count: 0, first: at, last: at };
    closes.set(key, { count: seen.count + 1, first: seen.first, last: at });
  };

  const connect = async (slot: Slot): Promise<void> => {
    slot.state = "connecting";
    slot.welcomed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        slot.connects++;
        const peer = await Peer.open(server.wsUrl + chatPath(slot.room, slot.user), (data) => {
          if (slot.ledger.frame(data, performance.now()) === "welcome") slot.welcomed = true;
        });
        slot.peer = peer;
        slot.state = "open";
        peer.closed.then(({ code, reason }) => {
          if (slot.peer !== peer || finished) return;
          if (code === 1013) slot.slowCloses++;
          if (!slot.ledger.closed(code, performance.now())) unexpectedClose(code, reason);
          slot.peer = undefined;
          slot.held = undefined;
          if (slot.remaining > 0) void connect(slot);
          else slot.state = "done";
        });
        return;
      } catch (error) {
        if (attempt >= 3) {
          tally.wrongOne("(connect)", `${slot.user} could not connect: ${(error as Error).message}`);
          slot.state = "failed";
          return;
        }
        await sleep(500);
      }
    }
  };

  let finished = false;
  let last = performance.now();
  const send = (slot: Slot, planned: Planned, now: number) => {
    slot.ledger.expect(planned, now);
    tally.sentOne(planned.kind);
    slot.remaining--;
    slot.credit--;
    slot.peer!.send(planned.frame);
  };
  // Each connection sends at `rate` frames a second at most, with at most `window` answers awaited: under the rate limit even when the server stalls.
  const tick = () => {
    const now = performance.now();
    const credit = ((now - last) / 1000) * settings.rate;
    last = now;
    for (const slot of slots) {
      if (slot.state !== "open" || !slot.welcomed) continue;
      slot.credit = Math.min(slot.credit + credit, 2);
      while (slot.credit >= 1 && slot.remaining > 0 && slot.ledger.size < settings.window) {
        const planned = slot.held ?? slot.gen.next();
        if (planned.closes && slot.ledger.size > 0) {
          slot.held = planned;
          break;
        }
        slot.held = undefined;
        send(slot, planned, now);
        if (planned.closes) {
          slot.state = "closing";
          break;
        }
      }
    }
  };

  let error: string | undefined;
  const ticker = setInterval(tick, TICK_MS);
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const slot of slots) slot.ledger.sweep(now, settings.answerTimeoutMs);
  }, 500);
  try {
    for (let i = 0; i < slots.length; i += 50) await Promise.all(slots.slice(i, i + 50).map(connect));
    // The pace adapts to the server (answers awaited hold the next frames back); only a run that stops moving ends early.
    let lastLog = performance.now();
    let progress = { sent: -1, at: performance.now() };
    for (;;) {
      await sleep(100);
      const done = slots.every((slot) => slot.state === "failed" || slot.state === "done" || (slot.remaining === 0 && slot.ledger.size === 0 && slot.state !== "connecting"));
      if (done) break;
      if (tally.framesSent !== progress.sent) progress = { sent: tally.framesSent, at: performance.now() };
      else if (performance.now() - progress.at > 3 * settings.answerTimeoutMs) {
        error = `stalled: no frame could be sent for ${(3 * settings.answerTimeoutMs) / 1000} s, ${slots.reduce((sum, slot) => sum + slot.remaining, 0)} frames unsent`;
        break;
      }
      if (!settings.quick && performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`  fuzz: ${tally.framesSent.toLocaleString("en-US")} frames sent, ${tally.wrongTotal} wrong, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
    }
  } finally {
    finished = true;
    clearInterval(ticker);
    clearInterval(sweeper);
    const now = performance.now();
    for (const slot of slots) {
      slot.ledger.sweep(now, 0);
      slot.peer?.close(1000);
    }
    await Promise.race([Promise.all(slots.map((slot) => slot.peer?.closed)), sleep(5_000)]);
    await watcher.leave();
    await normal.stop();
  }
  const measured = await measure.end(settings.settleMs);
  const reconnects = slots.reduce((sum, slot) => sum + slot.connects, 0) - slots.length;
  const notes = [
    `${settings.connections} connections in ${Math.ceil(settings.connections / settings.roomSize)} rooms, ${reconnects} reconnects`,
    ...[...closes].map(([key, { count, first, last }]) => `unexpected closes ${key} ×${count} at ${first.toFixed(0)}–${last.toFixed(0)} s`),
    ...(tally.rateLimited > 0 ? [`${tally.rateLimited} rate_limited (${tally.excused} answers excused)`] : []),
    ...(tally.late > 0 ? [`${tally.late} answers came after the timeout`] : []),
    ...measured.notes,
  ];
  return {
    runtime: server.runtime,
    attack: "fuzz",
    ...fromTally(tally),
    rss: measured.rss,
    held: measured.held,
    slowCloses: slots.reduce((sum, slot) => sum + slot.slowCloses, 0),
    p99Ms: normal.p99(),
    fdPeak: measured.fdPeak,
    notes,
    seconds: (performance.now() - started) / 1000,
    ...(error ? { error } : {}),
  };
}

/** A connection alone in its own room: after its welcome it must receive nothing but `pong`. */
class Watcher {
  private pings = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private peer!: Peer;

  private constructor(
    private readonly tally: Tally,
    private readonly room: string,
  ) {}

  static async join(wsUrl: string, room: string, tally: Tally, members: Members): Promise<Watcher> {
    members.add("watcher", room);
    const watcher = new Watcher(tally, room);
    watcher.peer = await Peer.open(wsUrl + chatPath(room, "watcher"), (data) => watcher.frame(data));
    // Keeps the connection visibly alive on every runtime.
    watcher.timer = setInterval(() => (watcher.pings++, watcher.peer.send("ping")), 5_000);
    return watcher;
  }

  async leave(): Promise<void> {
    clearInterval(this.timer);
    this.peer.close(1000);
    await Promise.race([this.peer.closed, sleep(2_000)]);
  }

  private frame(data: string | ArrayBuffer): void {
    if (data === "pong" && this.pings > 0) return void this.pings--;
    const frame = typeof data === "string" && data.startsWith("{") ? (JSON.parse(data) as { type?: string; data?: any }) : undefined;
    if (frame?.type === "resume") return;
    const alone = frame?.type === "welcome" && frame.data?.peers?.length === 1 && frame.data.peers[0].user === "watcher" && frame.data.history?.length === 0;
    if (!alone) this.tally.leak("watcher", `the watcher in ${this.room} got ${clip(data)}`);
  }
}
