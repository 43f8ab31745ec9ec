import WebSocket from "ws";
import type { chat } from "../../examples/chat/room.ts";
import type { ErrorBody } from "../../src/protocol.ts";
import { connect, type ClientOptions, type RoomClient, type StatusEvent } from "../../src/client/index.ts";

export type Said = { user: string; text: string; at: number };

/** A chat client and everything it saw. */
export interface Tracked {
  client: RoomClient<typeof chat>;
  statuses: StatusEvent[];
  said: Said[];
  errors: ErrorBody[];
  resyncs: number;
  texts(): string[];
}

export function track(url: string, options: ClientOptions): Tracked {
  // Node 20 has no global WebSocket: the `ws` package stands in.
  const client = connect<typeof chat>(url, { WebSocket, ...options });
  const tracked: Tracked = {
    client,
    statuses: [],
    said: [],
    errors: [],
    resyncs: 0,
    texts: () => tracked.said.map((said) => said.text),
  };
  client.onStatus((event) => tracked.statuses.push(event));
  client.on("said", (said) => tracked.said.push(said));
  client.onError((error) => tracked.errors.push(error));
  client.onResync(() => tracked.resyncs++);
  return tracked;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `test()` holds, polling; fails with `what` (and `detail()`) after `timeoutMs`. */
export async function until(test: () => boolean, what: string, timeoutMs = 10_000, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ""}`);
    await sleep(10);
  }
}

/** The statuses in order, e.g. ["connecting", "open", "reconnecting", "open"]. */
export const statusNames = (tracked: Tracked) => tracked.statuses.map((event) => event.status);

/** True when `sequence` appears in `list` in that order (not necessarily adjacent). */
export function inOrder<T>(list: readonly T[], sequence: readonly T[]): boolean {
  let at = 0;
  for (const item of list) if (item === sequence[at]) at++;
  return at >= sequence.length;
}
