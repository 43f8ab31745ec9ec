import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../client/helpers.ts";
import { startCluster, type RunningCluster } from "../support/cluster.ts";
import { Peer } from "../support/ws-client.ts";

/** What a hostile client on a process that does not own its room can make the cluster hold. */
describe("a flooding client on a non-owner process", () => {
  let cluster: RunningCluster;
  const peers: Peer[] = [];
  beforeAll(async () => {
    cluster = await startCluster("fixture", ["bun", "deno"]);
  }, 120_000);
  afterAll(async () => {
    for (const peer of peers) peer.drop();
    await cluster?.stop();
  });

  it("pushes at most twice the room's rate into the owner's inbox, and is closed by the owner with 1008", async () => {
    const room = `flood-${Date.now()}`;
    const owner = await Peer.connect(`${cluster.servers[0]!.wsUrl}/rooms/chat/${room}?user=owner`);
    peers.push(owner);
    await owner.next("welcome");
    const redis = cluster.redis.client();
    const ownerId = (await redis.get(`roomwire:{chat/${room}}:lease`))!.split(":")[0];
    const inbox = `roomwire:proc:{${ownerId}}:inbox`;
    /** Mail ever appended to the owner's inbox (XINFO STREAM's entries-added). */
    const added = async () => {
      const info = (await redis.call("XINFO", "STREAM", inbox)) as unknown[];
      return Number(info[info.indexOf("entries-added") + 1]);
    };

    const flooder = await Peer.connect(`${cluster.servers[1]!.wsUrl}/rooms/chat/${room}?user=flooder`);
    peers.push(flooder);
    await flooder.next("welcome");
    const before = await added();
    const started = Date.now();
    let sent = 0;
    let code: number | undefined;
    void flooder.closed.then((closed) => (code = closed.code));
    // The chat allows bursts of 100 and 50 a second; this sends about 2,000 a second.
    while (code === undefined && Date.now() - started < 8_000) {
      for (let i = 0; i < 40 && flooder.open; i++, sent++) flooder.send("nope");
      await sleep(20);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(500);
    const forwarded = (await added()) - before;
    console.log(`flood through a non-owner: ${sent} frames sent in ${seconds.toFixed(1)} s, ${forwarded} mails reached the owner's inbox, closed with ${code}`);
    // Deno may drop the close frame of a flood it closes (README, Deno): 1006 then.
    expect([1008, 1006]).toContain(code);
    expect(seconds).toBeGreaterThanOrEqual(3);
    // Twice the bucket (2 × 100 at once, 2 × 50 a second), plus the open, the close and the owner's own mail.
    expect(forwarded).toBeLessThanOrEqual(2 * 100 + 2 * 50 * seconds + 20);
    expect(sent).toBeGreaterThan(4 * forwarded);
  }, 30_000);
});
