// The normal client in a process of its own, so its round trips are not delayed by the attack's own work.
//   bun soak/normal-process.ts '{"wsUrl","room","user","rate","timeoutMs","members"}'
// Line-delimited JSON on stdout: {event:"ready"}; on stdin "who" → {event:"peers",peers}; "stop" → {event:"done",…} and exit.
import { createInterface } from "node:readline";
import { NormalClient } from "./normal.ts";
import { Tally } from "./tally.ts";

interface Job {
  wsUrl: string;
  room: string;
  user: string;
  rate: number;
  timeoutMs: number;
  /** A user named in a frame who does not match this is from another room. */
  members: string;
}

const job = JSON.parse(process.argv[2]!) as Job;
const emit = (message: object) => process.stdout.write(JSON.stringify(message) + "\n");
const allowed = new RegExp(job.members);
const members = {
  strangers(_room: string, data: unknown): string[] {
    const users = (Array.isArray(data) ? data : [data]).map((item) => (item as { user?: unknown } | null)?.user);
    return users.filter((user): user is string => typeof user === "string" && !allowed.test(user));
  },
};

const tally = new Tally();
try {
  const client = await NormalClient.join(job.wsUrl, job.room, tally, members, job.user);
  client.start(job.rate, job.timeoutMs);
  emit({ event: "ready" });
  const lines = createInterface({ input: process.stdin });
  // The attack's process is gone: so is the reason to run.
  lines.on("close", () => process.exit(0));
  lines.on("line", async (line) => {
    if (line === "who") emit({ event: "peers", peers: await client.peers() });
    if (line !== "stop") return;
    await client.stop(job.timeoutMs);
    emit({ event: "done", latencies: client.latencies, wrong: Object.fromEntries(tally.wrong), samples: tally.samples, leaks: tally.leaks });
    process.exit(0);
  });
} catch (error) {
  emit({ event: "error", message: String((error as Error)?.message ?? error) });
  process.exit(1);
}
