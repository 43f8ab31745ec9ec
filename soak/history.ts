import { chatPath, KEPT, MAX_TEXT, RATE_BURST } from "./chat.ts";
import type { Members } from "./members.ts";
import { Peer } from "./peer.ts";

/**
 * Fills `room`'s history with `KEPT` messages of about 2,000 characters, from
 * several senders so that none goes over the rate limit's burst.
 */
export async function fillHistory(wsUrl: string, room: string, members: Members, timeoutMs = 60_000): Promise<void> {
  const senders = Math.ceil(KEPT / (RATE_BURST / 2));
  let said = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const peers: Peer[] = [];
  for (let i = 0; i < senders; i++) {
    const user = `filler${i}`;
    members.add(user, room);
    peers.push(
      await Peer.open(wsUrl + chatPath(room, user), (data) => {
        if (i === 0 && typeof data === "string" && data.startsWith('{"type":"said"') && ++said === KEPT) done();
      }),
    );
  }
  for (let n = 0; n < KEPT; n++) {
    const text = `${n}:`.padEnd(MAX_TEXT - (n % 10), "h");
    peers[n % senders]!.send(JSON.stringify({ type: "say", data: { text } }));
  }
  const timer = setTimeout(done, timeoutMs);
  await all;
  clearTimeout(timer);
  for (const peer of peers) peer.close(1000);
  await Promise.all(peers.map((peer) => peer.closed));
  if (said < KEPT) throw new Error(`history of ${room}: only ${said} of ${KEPT} messages echoed within ${timeoutMs} ms`);
}
