import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../client/helpers.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";
import { fixtureServers } from "../storage/targets.ts";

/** Server-side connections on 127.0.0.1:`port` whose peer has gone but which the server has not closed. */
function closeWaits(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "08").length;
}

const DROPS = 20;

describe.each(fixtureServers)("links dropped without a close frame, on $name", ({ name, command }) => {
  let server: RunningServer;
  let dataDir = "";

  beforeAll(async () => {
    dataDir = tempDir(`roomwire-dropped-${name}-`);
    server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  });

  it(`are let go by the server: ${DROPS} dropped connections leave no socket half-closed (CLOSE_WAIT)`, async () => {
    for (let i = 0; i < DROPS; i++) {
      const peer = await Peer.connect(`${server.wsUrl}/rooms/flood/dropped`);
      peer.drop();
    }
    const right = closeWaits(server.port);
    const started = Date.now();
    // A close takes milliseconds; without one, workerd held such sockets until its own timeout (~10 s),
    // or for good under a busy room. (workerd: `wrangler dev`'s front proxy lets go once the room's object does.)
    await until(() => closeWaits(server.port) === 0, "no CLOSE_WAIT on the server's port", 3_000, () => closeWaits(server.port)).catch(() => {});
    console.log(`${name}: ${right} CLOSE_WAIT after the drops, ${closeWaits(server.port)} after ${Date.now() - started} ms`);
    expect(closeWaits(server.port)).toBe(0);
  }, 60_000);
});
