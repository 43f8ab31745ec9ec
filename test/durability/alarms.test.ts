import { afterAll, describe, expect, it } from "vitest";
import { fixtureServers } from "../storage/targets.ts";
import { freePort, removeDir, startServer, tempDir, type RunningServer } from "../support/server.ts";
import { Peer } from "../support/ws-client.ts";

/** An alarm is stored with the room: one set before a SIGKILL rings once after the restart. */
describe.each(fixtureServers)("alarms on $name", ({ name, command }) => {
  const dataDir = tempDir(`roomwire-alarms-${name}-`);
  const servers: RunningServer[] = [];
  const peers: Peer[] = [];
  const start = async () => {
    const server = await startServer(command, { PORT: String(await freePort()), DATA_DIR: dataDir });
    servers.push(server);
    return server;
  };
  const connect = async (server: RunningServer, room: string) => {
    const peer = await Peer.connect(`${server.wsUrl}/rooms/socket/${room}`);
    peers.push(peer);
    return peer;
  };

  afterAll(async () => {
    for (const peer of peers) peer.drop();
    for (const server of servers) await server.stop();
    removeDir(dataDir);
  });

  it("re-arms a stored alarm when the server starts again", async () => {
    const room = `alarm-${Date.now()}`;
    const first = await start();
    const before = await connect(first, room);
    expect((await before.request("setAlarm", { inMs: 1_000 })).data).toBe(true);
    expect((await before.request("alarmState", {})).data).toEqual({ at: expect.any(Number), rang: 0 });
    await first.stop("SIGKILL");

    const after = await connect(await start(), room);
    let state = (await after.request("alarmState", {})).data;
    for (let attempt = 0; attempt < 100 && state.rang === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await after.request("alarmState", {})).data;
    }
    expect(state).toEqual({ at: null, rang: 1 });
  });
});
