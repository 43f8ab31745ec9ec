import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descriptors, halfSentRequests, upgradeAnswer } from "../support/flood.ts";
import { runtime } from "../support/runtimes.ts";
import { freePort, startServer, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";

/**
 * The connection cap and descriptor exhaustion, on real Deno and Bun
 * processes started under a low open-file limit.
 */

const fixture = (name: string) => resolve(import.meta.dirname, "../fixtures", name);

/** The open-file limit the servers run under, and the cap it gives by default: 256 - max(64, 256 / 8). */
const LIMIT = 256;
const CAP = 192;
/** More half-sent requests than the server has descriptors. */
const BURST = 400;

/** `command` run with its open-file limit (soft and hard) set to LIMIT. */
const limited = (command: string[]) => ["sh", "-c", `ulimit -n ${LIMIT} && exec "$0" "$@"`, ...command];

const denoFixture = (permissions: string[]) => runtime("deno").command(fixture("cap-server.deno.ts"), { denoConfig: fixture("deno.no-kv.jsonc"), denoPermissions: permissions });

const runtimes = [
  // Deno reads /proc/self/limits only with --allow-all.
  { name: "deno", command: denoFixture(["-A"]) },
  { name: "bun", command: runtime("bun").command(fixture("cap-server.bun.ts")) },
  { name: "node", command: runtime("node").command(fixture("cap-server.node.ts")) },
];

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up after ${timeoutMs} ms; last value ${JSON.stringify(last)}${failure ? `, last error ${String(failure)}` : ""}`);
}

describe.each(runtimes)("the connection cap on $name, under ulimit -n 256", ({ name, command }) => {
  let server: RunningServer;
  const peers: Peer[] = [];
  const connections = async () => (await (await fetch(`${server.url}/connections`)).json()) as { count: number; max: number };
  const connect = async (room = "a") => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/socket/${room}`);
    peers.push(peer);
    return peer;
  };
  const alive = () => server.process.exitCode === null && server.process.signalCode === null;

  beforeAll(async () => {
    server = await startServer(limited(command), { PORT: String(await freePort()) });
  });
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await server?.stop();
  });

  it("takes its default cap from the open-file limit", async () => {
    expect(await connections()).toEqual({ count: 0, max: CAP });
  });

  it("answers 503 with Retry-After past the cap, keeps serving its sockets and plain HTTP, and takes new sockets once some close", async () => {
    for (let opened = 0; opened < CAP; opened += 32) {
      await Promise.all(Array.from({ length: Math.min(32, CAP - opened) }, () => connect()));
    }
    expect((await connections()).count).toBe(CAP);

    const extra = await Promise.all(Array.from({ length: 20 }, () => upgradeAnswer(`${server.wsUrl}/rooms/socket/a`)));
    for (const answer of extra) {
      expect(answer).toEqual({ status: 503, retryAfter: "10", body: "This server holds as many connections as it can. Try again in 10 seconds." });
    }
    // The check answers what the upgrade would; plain HTTP does not count.
    expect((await fetch(`${server.url}/rooms/socket/a?roomwire_check=1`)).status).toBe(503);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await peers[0]!.request("whoami")).data).toEqual(expect.any(String));
    expect(await connections()).toEqual({ count: CAP, max: CAP });

    for (const peer of peers.splice(0, 10)) peer.close(1000);
    await until(connections, ({ count }) => count === CAP - 10);
    const late = await connect("late");
    expect((await late.request("echo")).data).toBe("sent");
    expect(alive()).toBe(true);
  });

  it(`survives a burst of ${BURST} half-sent requests, beyond its ${LIMIT} descriptors, and serves again once they go`, async () => {
    for (const peer of peers.splice(0)) peer.drop();
    await until(connections, ({ count }) => count === 0);
    const before = await Promise.all(Array.from({ length: 20 }, () => connect("before")));

    const burst = await halfSentRequests(server.port, BURST);
    try {
      // The burst reached the limit: every descriptor the process may open is taken (or nearly: a few come and go).
      await until(async () => descriptors(server.process.pid!) ?? LIMIT, (held) => held >= LIMIT - 8);
    } finally {
      burst.close();
    }

    const after = await until(() => connect("after"), () => true);
    expect((await after.request("echo")).data).toBe("sent");
    for (const peer of before) expect((await peer.request("whoami")).data).toEqual(expect.any(String));
    expect(alive()).toBe(true);
    if (name === "deno") {
      // Deno's accept loop stopped on "Too many open files"; roomwire's `serve` listened again.
      expect(server.output()).toMatch(/Deno stopped accepting connections on port \d+: the process ran out of file descriptors/);
      expect(server.output()).toMatch(/listening again on port \d+/);
    }
  });
});

describe("the connection cap on deno without --allow-all", () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("falls back to 4,000 without prompting, since Deno guards /proc/self", async () => {
    server = await startServer(denoFixture(["--allow-net", "--allow-env", "--allow-read"]), { PORT: String(await freePort()) });
    expect(await (await fetch(`${server.url}/connections`)).json()).toEqual({ count: 0, max: 4_000 });
  });
});
