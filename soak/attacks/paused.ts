// Attacks 2 and 3: clients that stop reading while asking for the largest history, 40 times a second.
import { chatPath, CLOSE_SLOW_CONSUMER, KEPT } from "../chat.ts";
import { fillHistory } from "../history.ts";
import { isHistory, Members } from "../members.ts";
import { Peer } from "../peer.ts";
import { RawSocket } from "../raw-socket.ts";
import { RemoteNormal } from "../remote-normal.ts";
import type { ChatServer } from "../server.ts";
import type { Settings } from "../settings.ts";
import { clip, Tally } from "../tally.ts";
import { Measure } from "./measure.ts";
import { fromTally, type AttackResult } from "./result.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Reading back stops once nothing has arrived for this long. */
const QUIET_MS = 2_000;

/** What came back to one paused reader once it read again. */
interface Answers {
  history: number;
  rateLimited: number;
  closeCode: number | undefined;
}

export async function pausedReaders(server: ChatServer, settings: Settings, attack: "paused" | "amplification"): Promise<AttackResult> {
  const started = performance.now();
  const readers = attack === "paused" ? 1 : settings.amplification;
  const kind = attack === "paused" ? "paused reader" : "amplifier";
  const tally = new Tally();
  const members = new Members();
  const room = `${attack}-s${settings.seed}`;
  await fillHistory(server.wsUrl, room, members);
  members.add("normal", room);
  const normal = await RemoteNormal.join(server.wsUrl, room, /^(normal|observer|filler\d+|reader\d+)$/, tally, settings);
  await sleep(300);

  // The room announces `left` the moment the server ends a reader. That reader then reads what is queued for it,
  // close frame included, before the server gives up on the link (a reset would throw the queue away unread).
  const sockets: RawSocket[] = [];
  const sent: number[] = [];
  const endedAt: (number | undefined)[] = [];
  let attackStart = performance.now();
  members.add("observer", room);
  const observer = await Peer.open(server.wsUrl + chatPath(room, "observer"), (data) => {
    if (typeof data !== "string" || !data.startsWith('{"type":"left"')) return;
    const i = Number(/^reader(\d+)$/.exec(JSON.parse(data).data?.user)?.[1] ?? -1);
    if (i < 0 || endedAt[i] !== undefined || !sockets[i]) return;
    endedAt[i] = (performance.now() - attackStart) / 1000;
    sockets[i]!.resume();
  });
  const measure = new Measure(server, settings.sampleMs);
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < readers; i++) {
      const user = `reader${i}`;
      members.add(user, room);
      sockets.push(await RawSocket.open(server.wsUrl, chatPath(room, user), { paused: true }));
      sent.push(0);
      endedAt.push(undefined);
    }
    attackStart = performance.now();
    // All readers at once, each at the same pace: the amplification is their sum.
    timer = setInterval(() => {
      sockets.forEach((socket, i) => {
        if (endedAt[i] !== undefined || !socket.writable) return;
        socket.sendText(JSON.stringify({ type: "history", id: ++sent[i]!, data: { limit: KEPT } }));
        tally.sentOne(kind);
      });
    }, 1000 / settings.pausedRate);
    await sleep(settings.pausedSeconds * 1000);
    clearInterval(timer);
    await sleep(500);

    // Read what the server kept for them, and check every answer.
    const answers = await Promise.all(sockets.map((socket, i) => readBack(socket, sent[i]!, tally, members, room, kind)));
    const history = answers.reduce((sum, answer) => sum + answer.history, 0);
    const rateLimited = answers.reduce((sum, answer) => sum + answer.rateLimited, 0);
    const ends = new Map<string, number>();
    for (const { closeCode } of answers) {
      const end = closeCode === undefined ? "open" : `closed ${closeCode}`;
      ends.set(end, (ends.get(end) ?? 0) + 1);
    }
    const codes = [...ends].map(([code, n]) => (readers > 1 ? `${code} ×${n}` : code)).join(", ");
    const after = endedAt.filter((at): at is number => at !== undefined);
    const [first, last] = [Math.min(...after).toFixed(1), Math.max(...after).toFixed(1)];
    const endedNote = after.length > 0 ? `; the server ended ${after.length > 1 ? "them" : "it"} ${first === last ? first : `${first}–${last}`} s into the attack` : "";
    for (const socket of sockets) if (socket.writable) socket.sendClose(1000);
    observer.close(1000);
    await Promise.race([Promise.all(sockets.map((socket) => socket.ended)), sleep(1_000)]);
    for (const socket of sockets) socket.destroy();
    await normal.stop();
    const measured = await measure.end(settings.settleMs);
    return {
      runtime: server.runtime,
      attack,
      ...fromTally(tally),
      rss: measured.rss,
      held: measured.held,
      slowCloses: answers.filter((answer) => answer.closeCode === CLOSE_SLOW_CONSUMER).length,
      p99Ms: normal.p99(),
      fdPeak: measured.fdPeak,
      answers: { history, rateLimited, ends: Object.fromEntries(ends) },
      notes: [
        `${readers} reader${readers > 1 ? "s" : ""} × ${settings.pausedRate}/s for ${settings.pausedSeconds} s; answers: ${history} history, ${rateLimited} rate_limited; then ${codes}${endedNote}`,
        ...measured.notes,
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    clearInterval(timer);
    measure.abort();
    normal.kill();
    observer.close(1000);
    throw error;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/**
 * Reads again until the server has been quiet for a while (or ends the link),
 * then checks: every request answered with the full history or `rate_limited`,
 * except those after a close by the server.
 */
async function readBack(socket: RawSocket, sent: number, tally: Tally, members: Members, room: string, kind: string): Promise<Answers> {
  socket.resume();
  let ended = false;
  socket.ended.then(() => (ended = true));
  const answered = new Set<number>();
  const answers: Answers = { history: 0, rateLimited: 0, closeCode: undefined };
  const deadline = performance.now() + 120_000;
  let read = 0;
  for (;;) {
    for (; read < socket.texts.length; read++) check(socket.texts[read]!);
    if (ended || answered.size === sent || performance.now() > deadline || performance.now() - socket.lastData > QUIET_MS) break;
    await sleep(50);
  }
  for (; read < socket.texts.length; read++) check(socket.texts[read]!);
  answers.closeCode = socket.closeCode;
  // A connection the server ended owes nothing more; an open one owes an answer to every request.
  if (answers.closeCode === undefined) for (let id = 1; id <= sent; id++) if (!answered.has(id)) tally.wrongOne(kind, `history ${id} unanswered (of ${sent}), the connection still open`);
  return answers;

  function check(text: string): void {
    let frame: { type?: string; id?: number; data?: any; error?: { code?: string } };
    try {
      frame = JSON.parse(text);
    } catch {
      tally.wrongOne(kind, `non-JSON text ${clip(text)}`);
      return;
    }
    if (frame.type === "resume" || frame.type === "joined" || frame.type === "left") return;
    if (frame.type === "welcome") {
      const strangers = members.strangers(room, [...(frame.data?.peers ?? []), ...(frame.data?.history ?? [])]);
      if (strangers.length > 0) tally.leak(kind, `welcome named ${strangers.join(", ")}`);
      return;
    }
    if (frame.type === "error" && frame.error?.code === "rate_limited") {
      tally.rateLimited++;
      return;
    }
    const id = frame.id;
    if (frame.type !== "reply" || typeof id !== "number" || id < 1 || id > sent || answered.has(id)) {
      tally.wrongOne(kind, `unexpected ${clip(text)}`);
      return;
    }
    answered.add(id);
    if (frame.error?.code === "rate_limited") answers.rateLimited++;
    else if (isHistory(frame.data) && frame.data.length === KEPT) answers.history++;
    else tally.wrongOne(kind, `history ${id} answered ${clip(text)}`);
  }
}
