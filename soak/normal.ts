// The well-behaved client beside an attack: `who` a few times a second, timed (it runs in a process of its own: normal-process.ts).
import { chatPath } from "./chat.ts";
import { isPeerList, type Members } from "./members.ts";
import { Peer } from "./peer.ts";
import { clip, type Tally } from "./tally.ts";

const KIND = "normal client";

export class NormalClient {
  readonly latencies: number[] = [];
  /** Peers its last `who` listed. */
  lastPeers: { id: string; user: string }[] = [];
  private readonly sent = new Map<number, number>();
  private nextId = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private peer!: Peer;
  private stopping = false;

  private constructor(
    private readonly tally: Tally,
    private readonly members: Pick<Members, "strangers">,
    readonly room: string,
    readonly user: string,
  ) {}

  static async join(wsUrl: string, room: string, tally: Tally, members: Pick<Members, "strangers">, user: string): Promise<NormalClient> {
    const client = new NormalClient(tally, members, room, user);
    client.peer = await Peer.open(wsUrl + chatPath(room, user), (data) => client.frame(data));
    client.peer.closed.then(({ code }) => client.stopping || tally.wrongOne(KIND, `its connection closed with ${code}`));
    return client;
  }

  /** Sends `who` `perSecond` times a second until `stop`. */
  start(perSecond: number, timeoutMs: number): void {
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const [id, at] of this.sent) {
        if (now - at > timeoutMs) {
          this.sent.delete(id);
          this.tally.wrongOne(KIND, `who ${id} got no reply within ${timeoutMs} ms`);
        }
      }
      if (this.peer.open) this.who();
    }, 1000 / perSecond);
  }

  /** One `who` now; resolves with the peers it lists. */
  async peers(timeoutMs = 10_000): Promise<{ id: string; user: string }[]> {
    this.who();
    const deadline = Date.now() + timeoutMs;
    const id = this.nextId - 1;
    while (this.sent.has(id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.lastPeers;
  }

  /** Stops asking, waits for the replies still due (up to `timeoutMs`), and closes. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return;
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.sent.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of this.sent.keys()) this.tally.wrongOne(KIND, `who ${id} got no reply within ${timeoutMs} ms`);
    this.sent.clear();
    this.stopping = true;
    this.peer.close(1000);
    await Promise.race([this.peer.closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }

  private who(): void {
    const id = this.nextId++;
    this.sent.set(id, performance.now());
    this.peer.send(JSON.stringify({ type: "who", id }));
  }

  private frame(data: string | ArrayBuffer): void {
    if (typeof data !== "string") return this.tally.wrongOne(KIND, "a binary frame");
    if (data === "pong") return;
    const frame = JSON.parse(data) as { type: string; id?: number; data?: any; error?: unknown };
    const named = frame.type === "reply" ? frame.data?.peers : frame.type === "welcome" ? [...(frame.data?.peers ?? []), ...(frame.data?.history ?? [])] : frame.data;
    const strangers = this.members.strangers(this.room, named);
    if (strangers.length > 0) this.tally.leak(KIND, `${this.user} in ${this.room} got users ${strangers.slice(0, 3).join(", ")}: ${clip(data)}`);
    if (frame.type !== "reply") return;
    const at = this.sent.get(frame.id as number);
    if (at === undefined) return this.tally.wrongOne(KIND, `a reply to no request ${clip(data)}`);
    this.sent.delete(frame.id as number);
    if (frame.error !== undefined || !isPeerList(frame.data?.peers)) this.tally.wrongOne(KIND, `who got ${clip(data)}`);
    else {
      this.latencies.push(performance.now() - at);
      this.lastPeers = frame.data.peers;
    }
  }
}
