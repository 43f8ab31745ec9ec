import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { until, track } from "./helpers.ts";

/**
 * A roomwire server never leaves a hole in a connection's numbered events (it
 * closes a slow consumer instead), but a frame can still go missing between
 * the two: this stand-in server loses one on purpose, and the client must
 * notice the gap and resume instead of carrying on without it.
 */
describe("roomwire/client and a gap in numbered events", () => {
  let server: WebSocketServer;
  let url = "";
  const upgrades: URL[] = [];
  const said = (seq: number) => JSON.stringify({ type: "said", data: { user: "s", text: `m${seq}`, at: seq }, seq });

  beforeAll(async () => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/rooms/chat/gap`;
    server.on("connection", (socket: ServerSocket, request) => {
      const at = new URL(request.url!, "http://x");
      upgrades.push(at);
      const since = at.searchParams.get("roomwire_since");
      if (since === null) {
        // First connection: 1 and 2 arrive, 3 is lost, 4 arrives.
        socket.send(JSON.stringify({ type: "resume", seq: 0 }));
        for (const seq of [1, 2, 4]) socket.send(said(seq));
      } else {
        // The resumed connection replays what followed `since`, then goes on live.
        for (let seq = Number(since) + 1; seq <= 4; seq++) socket.send(said(seq));
        socket.send(JSON.stringify({ type: "resume", seq: 4 }));
        socket.send(said(5));
      }
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reconnects from the last event before the gap and delivers every event once, in order", async () => {
    const tracked = track(url, { heartbeat: false, reconnect: { minDelay: 10, maxDelay: 20 } });
    try {
      await until(() => tracked.said.length >= 5, "five events", 5_000, () => tracked.texts());
      expect(tracked.texts()).toEqual(["m1", "m2", "m3", "m4", "m5"]);
      expect(upgrades.map((at) => at.searchParams.get("roomwire_since"))).toEqual([null, "2"]);
      const reconnect = tracked.statuses.find((event) => event.status === "reconnecting");
      expect(reconnect?.reason).toBe("missed events 3–3");
    } finally {
      tracked.client.close();
    }
  });
});
