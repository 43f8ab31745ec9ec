// The presence traffic of a big room: frames and bytes the room sends when 100 members join a room of 900 at once,
// with per-member diffs (no big-room mode) and with the default big-room mode (counts, at most once a second).
// Frames are counted in the core itself (roomwire/testing), so the figures are exact and machine-independent.
// Run: node --import tsx bench/presence.ts   (or: bun bench/presence.ts)
import { defineRoom } from "../src/index.ts";
import { testRoom, type TestConnection } from "../src/testing/index.ts";

const BEFORE = 900;
const JOINING = 100;

function room(bigRoom: number) {
  return defineRoom({
    upgrade: (request) => ({ user: new URL(request.url).searchParams.get("user")! }),
    presence: { member: (data: { user: string }) => data.user, bigRoom },
  });
}

interface Figures {
  mode: string;
  frames: number;
  bytes: number;
  perJoiner: number;
  perMember: number;
}

async function measure(mode: string, bigRoom: number): Promise<Figures> {
  let clock = 1_000_000;
  const host = testRoom(room(bigRoom), { now: () => clock });
  const connections: TestConnection<any>[] = [];
  for (let i = 0; i < BEFORE; i++) connections.push(await host.connect(`?user=u${i}`));
  await host.idle();
  const seen = new Map<TestConnection<any>, number>();
  for (const connection of connections) seen.set(connection, connection.received.length);
  // 100 join at once, then the room's schedules run (a count frame in big-room mode).
  const joined = await Promise.all(Array.from({ length: JOINING }, (_, i) => host.connect(`?user=new${i}`)));
  for (const connection of joined) seen.set(connection, 0);
  clock += 5_000;
  await host.fireAlarm();
  await host.idle();
  let frames = 0;
  let bytes = 0;
  for (const [connection, before] of seen) {
    for (const frame of connection.received.slice(before)) {
      if (typeof frame !== "object" || (frame as { type?: string }).type !== "presence") continue;
      frames++;
      bytes += JSON.stringify(frame).length;
    }
  }
  const members = BEFORE + JOINING;
  return { mode, frames, bytes, perJoiner: frames / JOINING, perMember: frames / members };
}

const rows = [await measure("diffs to everyone (bigRoom: Infinity)", Infinity), await measure("big-room mode (bigRoom: 100, the default)", 100)];
const [before, after] = rows as [Figures, Figures];
const n = (value: number) => Math.round(value).toLocaleString("en-US");
console.log(`\nPresence frames sent while ${JOINING} members join a room of ${BEFORE} at once (counted in the core):\n`);
console.log("| mode | presence frames | bytes | frames per joiner | frames per member |");
console.log("| --- | --: | --: | --: | --: |");
for (const row of rows) console.log(`| ${row.mode} | ${n(row.frames)} | ${n(row.bytes)} | ${row.perJoiner.toFixed(1)} | ${row.perMember.toFixed(1)} |`);
console.log(`\nbig-room mode ÷ diffs: ${(after.frames / before.frames).toFixed(3)}× the frames, ${(after.bytes / before.bytes).toFixed(3)}× the bytes\n`);
