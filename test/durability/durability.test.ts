import { describe, expect, it } from "vitest";
import { runtimes } from "../conformance/runtimes.ts";
import { useChatServer } from "../support/chat-server.ts";
import type { Peer } from "../support/ws-client.ts";

/** Runtimes whose entry is the server process itself, so SIGKILL kills the store's process. */
const killable = runtimes.filter((runtime) => runtime.direct);

const SENDERS = 4;
const PER_SENDER = 50;
/** Kill the server once this many `said` have come back: the rest are in flight or never sent. */
const KILL_AFTER = 150;

/**
 * Nothing acknowledged is lost: every `said` a client saw (the room stored it,
 * then broadcast it) is in the history after the server is SIGKILLed and
 * restarted on the same data directory.
 */
describe.each(killable)("durability on $name", (runtime) => {
  const chat = useChatServer(runtime.command);
  const join = async (room: string, user: string) => {
    const peer = await chat.join(room, user);
    await peer.next("welcome");
    return peer;
  };

  it(`keeps every acknowledged said after SIGKILL (${SENDERS} senders, up to ${SENDERS * PER_SENDER} messages)`, async () => {
    const room = `durable-${runtime.name}-${Date.now()}`;
    // One connection per sender keeps each under the rate limit (a burst of 100) while waiting for every said.
    const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => join(room, `s${i}`)));
    const acknowledged: string[] = [];
    let killing: Promise<void> | undefined;

    const send = async (peer: Peer, sender: number) => {
      const gone = peer.closed.then(() => undefined);
      for (let i = 0; i < PER_SENDER && !killing; i++) {
        const text = `s${sender}-m${i}`;
        peer.send("say", { text });
        const said = await Promise.race([peer.next((frame) => typeof frame === "object" && (frame as any).type === "said" && (frame as any).data.text === text), gone]);
        if (said === undefined) return;
        acknowledged.push(text);
        if (acknowledged.length >= KILL_AFTER) killing ??= chat.server.stop("SIGKILL");
      }
    };
    await Promise.all(senders.map(send));
    await (killing ?? chat.server.stop("SIGKILL"));
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);

    await chat.restart();
    const reader = await join(room, "reader");
    const history: { user: string; text: string }[] = (await reader.request("history", { limit: 200 })).data;
    const stored = history.map((said) => said.text);
    const lost = acknowledged.filter((text) => !stored.includes(text));
    expect(lost).toEqual([]);
    // Each sender's messages are stored in the order it sent them, each once.
    for (let sender = 0; sender < SENDERS; sender++) {
      const mine = stored.filter((text) => text.startsWith(`s${sender}-`));
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => `s${sender}-m${i}`));
    }
  });
});
