import { beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../support/chat-server.ts";
import { Peer } from "../support/ws-client.ts";

/**
 * The chat app's spec: the very same cases for every way of serving it, a
 * process per runtime (chat.test.ts) or a cluster (test/cluster). `name`
 * keeps its rooms apart. `mayDropCloseFrame`: some sockets are served by
 * Deno, which may drop the close frame of a server-side close while the peer
 * keeps sending (README, Deno).
 */
export function chatSpec(name: string, chat: ChatServer, mayDropCloseFrame: boolean): void {
  let roomCount = 0;
  /** A room name no other test uses. */
  const freshRoom = () => `room-${name}-${Date.now()}-${roomCount++}`;
  const join = (room: string, user: string) => chat.join(room, user);
  const url = () => chat.server.url;
  const wsUrl = () => chat.server.wsUrl;

  describe("HTTP", () => {
    it("answers /health with 200 ok", async () => {
      const response = await fetch(`${url()}/health`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("ok");
    });

    it("serves the chat page at /", async () => {
      const response = await fetch(`${url()}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/html");
      const page = await response.text();
      expect(page).toContain('id="join"');
      expect(page).toContain("/rooms/chat/");
    });

    it("answers a plain HTTP request to a room with 426", async () => {
      const response = await fetch(`${url()}/rooms/chat/lobby`);
      // (workerd strips the Upgrade header from a 426; the status is what every runtime shares)
      expect(response.status).toBe(426);
    });

    it("answers an unknown room type with 404", async () => {
      expect(await Peer.upgradeStatus(`${wsUrl()}/rooms/nope/lobby?user=ann`)).toBe(404);
    });

    it.each(["a%20b", "x".repeat(129), "%E2%9C%93", "a%2Fb"])("refuses the room name %s with 400", async (name) => {
      expect(await Peer.upgradeStatus(`${wsUrl()}/rooms/chat/${name}?user=ann`)).toBe(400);
    });

    it("accepts a 128-character room name of every allowed character", async () => {
      const name = "Az09._~-".repeat(16);
      expect(await Peer.upgradeStatus(`${wsUrl()}/rooms/chat/${name}?user=ann`)).toBe(101);
    });

    it.each(["", "?user=", `?user=${"u".repeat(33)}`, "?user=a%20b", "?user=%C3%A9"])("refuses the user in '%s' with 401", async (query) => {
      expect(await Peer.upgradeStatus(`${wsUrl()}/rooms/chat/lobby${query}`)).toBe(401);
    });

    it("accepts a 32-character user name", async () => {
      expect(await Peer.upgradeStatus(`${wsUrl()}/rooms/chat/lobby?user=${"u_-9".repeat(8)}`)).toBe(101);
    });
  });

  describe("presence", () => {
    it("welcomes a connection with itself among the peers, and tells the others it joined", async () => {
      const room = freshRoom();
      const ann = await join(room, "ann");
      const annWelcome = (await ann.next("welcome")).data;
      expect(annWelcome).toEqual({ id: expect.any(String), user: "ann", peers: [{ id: annWelcome.id, user: "ann" }], history: [] });

      const bob = await join(room, "bob");
      const bobWelcome = (await bob.next("welcome")).data;
      expect(bobWelcome.user).toBe("bob");
      expect(bobWelcome.peers).toHaveLength(2);
      expect(bobWelcome.peers).toEqual(expect.arrayContaining([{ id: annWelcome.id, user: "ann" }, { id: bobWelcome.id, user: "bob" }]));
      expect((await ann.next("joined")).data).toEqual({ id: bobWelcome.id, user: "bob" });
      expect(bob.events("joined")).toEqual([]);
    });

    it("answers who with every connection in the room", async () => {
      const room = freshRoom();
      const ann = await join(room, "ann");
      const annId = (await ann.next("welcome")).data.id;
      const bob = await join(room, "bob");
      const bobId = (await bob.next("welcome")).data.id;
      const reply = await ann.request("who");
      expect(reply.data.peers).toHaveLength(2);
      expect(reply.data.peers).toEqual(expect.arrayContaining([{ id: annId, user: "ann" }, { id: bobId, user: "bob" }]));
    });

    for (const [how, end] of [
      ["closes with a code", (peer: Peer) => peer.close(1000, "bye")],
      ["closes without a code", (peer: Peer) => peer.close()],
      ["drops its TCP connection", (peer: Peer) => peer.drop()],
    ] as const) {
      it(`tells the others when a connection ${how}`, async () => {
        const room = freshRoom();
        const ann = await join(room, "ann");
        await ann.next("welcome");
        const bob = await join(room, "bob");
        const bobId = (await bob.next("welcome")).data.id;
        await ann.next("joined");
        end(bob);
        expect((await ann.next("left")).data).toEqual({ id: bobId, user: "bob" });
        const who = await ann.request("who");
        expect(who.data.peers.map((peer: { user: string }) => peer.user)).toEqual(["ann"]);
      });
    }
  });

  describe("messages", () => {
    it("delivers said to everyone, the sender included, in the order the room accepted them", async () => {
      const room = freshRoom();
      const ann = await join(room, "ann");
      await ann.next("welcome");
      const bob = await join(room, "bob");
      await bob.next("welcome");
      const before = Date.now();
      for (let i = 0; i < 20; i++) (i % 2 ? bob : ann).send("say", { text: `m${i}` });
      const annSaw = [];
      const bobSaw = [];
      for (let i = 0; i < 20; i++) {
        annSaw.push((await ann.next("said")).data);
        bobSaw.push((await bob.next("said")).data);
      }
      expect(annSaw).toEqual(bobSaw);
      expect(annSaw.filter((said) => said.user === "ann").map((said) => said.text)).toEqual(["m0", "m2", "m4", "m6", "m8", "m10", "m12", "m14", "m16", "m18"]);
      expect(annSaw.filter((said) => said.user === "bob").map((said) => said.text)).toEqual(["m1", "m3", "m5", "m7", "m9", "m11", "m13", "m15", "m17", "m19"]);
      for (const said of annSaw) {
        expect(Object.keys(said).sort()).toEqual(["at", "text", "user"]);
        expect(said.at).toBeGreaterThanOrEqual(before - 1000);
        expect(said.at).toBeLessThanOrEqual(Date.now() + 1000);
      }
      const history = await ann.request("history", { limit: 20 });
      expect(history.data).toEqual(annSaw);
    });

    it("accepts 1 and 2000 characters of text", async () => {
      const ann = await join(freshRoom(), "ann");
      await ann.next("welcome");
      ann.send("say", { text: "x" });
      ann.send("say", { text: "é".repeat(2000) });
      expect((await ann.next("said")).data.text).toBe("x");
      expect((await ann.next("said")).data.text).toBe("é".repeat(2000));
    });

    it("keeps the last 50 said in the welcome history, oldest first, and up to 200 for history", async () => {
      const room = freshRoom();
      // Three senders of 70 each, one after another, so no one meets the rate limit.
      for (let sender = 0; sender < 3; sender++) {
        const peer = await join(room, `s${sender}`);
        await peer.next("welcome");
        for (let i = sender * 70; i < (sender + 1) * 70; i++) peer.send("say", { text: `n${i}` });
        await peer.next((frame) => typeof frame === "object" && (frame as any).data?.text === `n${sender * 70 + 69}`);
      }
      const bob = await join(room, "bob");
      const welcome = (await bob.next("welcome")).data;
      expect(welcome.history.map((said: { text: string }) => said.text)).toEqual(Array.from({ length: 50 }, (_, i) => `n${160 + i}`));
      const three = await bob.request("history", { limit: 3 });
      expect(three.data.map((said: { text: string }) => said.text)).toEqual(["n207", "n208", "n209"]);
      const all = await bob.request("history", { limit: 200 });
      expect(all.data).toHaveLength(200);
      expect(all.data[0].text).toBe("n10");
    });
  });

  describe("bad input", () => {
    let ann: Peer;
    beforeAll(async () => {
      ann = await join(freshRoom(), "ann");
      await ann.next("welcome");
    });
    /** The connection stays open: a valid say still comes back. */
    const stillOpen = async (text: string) => {
      ann.send("say", { text });
      expect((await ann.next("said")).data.text).toBe(text);
    };

    it.each([
      ["a number for text", { text: 5 }, "text"],
      ["an empty text", { text: "" }, "text"],
      ["a text of 2001 characters", { text: "x".repeat(2001) }, "text"],
      ["no data", undefined, undefined],
    ])("answers %s with invalid_message and its issues", async (label, data, path) => {
      ann.send("say", data);
      const frame = await ann.next("error");
      expect(frame.error.code).toBe("invalid_message");
      expect(frame.error.issues.length).toBeGreaterThan(0);
      if (path) expect(frame.error.issues[0].path).toEqual([path]);
      await stillOpen(`after ${label}`);
    });

    it.each([
      ["a limit of 0", { limit: 0 }],
      ["a limit of 201", { limit: 201 }],
      ["a fractional limit", { limit: 1.5 }],
      ["a string limit", { limit: "5" }],
      ["no data", undefined],
    ])("answers a history request with %s by a failed reply", async (label, data) => {
      const reply = await ann.request("history", data);
      expect(reply.error?.code).toBe("invalid_message");
      expect(reply.error?.issues?.length).toBeGreaterThan(0);
      expect(reply.data).toBeUndefined();
      await stillOpen(`after history with ${label}`);
    });

    it("answers a frame that is not JSON with bad_json", async () => {
      ann.raw("{not json");
      expect((await ann.next("error")).error.code).toBe("bad_json");
      await stillOpen("after bad json");
    });

    it.each(['[1,2]', '"say"', "42", "null", '{"data":{}}', '{"type":7}'])("answers %s with invalid_message", async (frame) => {
      ann.raw(frame);
      expect((await ann.next("error")).error.code).toBe("invalid_message");
      await stillOpen(`after ${frame}`);
    });

    it("answers an unknown event type with unknown_type", async () => {
      ann.send("shout", { text: "hi" });
      expect((await ann.next("error")).error.code).toBe("unknown_type");
      await stillOpen("after unknown event");
    });

    it("answers an unknown request type with a failed reply", async () => {
      const reply = await ann.request("shout", {});
      expect(reply.error?.code).toBe("unknown_type");
      await stillOpen("after unknown request");
    });

    it("answers a binary frame with unsupported", async () => {
      ann.raw(Buffer.from([1, 2, 3]));
      expect((await ann.next("error")).error.code).toBe("unsupported");
      await stillOpen("after binary");
    });

    it("answers ping with pong", async () => {
      ann.raw("ping");
      expect(await ann.next((frame) => frame === "pong")).toBe("pong");
    });
  });

  describe("limits", () => {
    it("accepts a frame of exactly 64 KiB and closes on one byte more with 1009", async () => {
      const ann = await join(freshRoom(), "ann");
      await ann.next("welcome");
      const frame = (size: number) => {
        const head = '{"type":"say","data":{"text":"';
        return head + "x".repeat(size - head.length - 3) + '"}}';
      };
      ann.raw(frame(64 * 1024));
      expect((await ann.next("error")).error.code).toBe("invalid_message");
      ann.raw(frame(64 * 1024 + 1));
      expect((await ann.closed).code).toBe(1009);
    });

    const isError = (code: string) => (frame: unknown) => typeof frame === "object" && (frame as { error?: { code: string } }).error?.code === code;

    it("drops frames beyond a burst of 100 with one rate_limited error", async () => {
      const ann = await join(freshRoom(), "ann");
      await ann.next("welcome");
      // Each frame is answered (unknown_type) unless the rate limit drops it.
      for (let i = 0; i < 150; i++) ann.send("nope");
      await ann.next(isError("rate_limited"));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answered = ann.frames.filter(isError("unknown_type")).length;
      expect(answered).toBeGreaterThanOrEqual(100);
      expect(answered).toBeLessThan(150);
      expect(ann.frames.filter(isError("rate_limited"))).toHaveLength(0); // the one taken by next() above
      expect(ann.open).toBe(true);
      ann.raw("ping");
      expect(await ann.next((frame) => frame === "pong")).toBe("pong");
    });

    it("closes a connection that keeps flooding for 3 seconds with 1008", async () => {
      const ann = await join(freshRoom(), "ann");
      await ann.next("welcome");
      let code: number | undefined;
      ann.closed.then((closed) => (code = closed.code));
      const started = Date.now();
      while (code === undefined && Date.now() - started < 8_000) {
        for (let i = 0; i < 20 && ann.open; i++) ann.send("nope");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(mayDropCloseFrame ? [1008, 1006] : [1008]).toContain(code);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(ann.frames.filter(isError("rate_limited"))).toHaveLength(1);
    });
  });

  describe("persistence", () => {
    it("keeps the history across a restart on the same data directory", async () => {
      const room = freshRoom();
      const ann = await join(room, "ann");
      await ann.next("welcome");
      for (const text of ["before", "the", "restart"]) {
        ann.send("say", { text });
        await ann.next("said");
      }
      await chat.server.stop();
      expect((await ann.closed).code).not.toBe(1000);
      await chat.restart();
      const bob = await join(room, "bob");
      const welcome = (await bob.next("welcome")).data;
      expect(welcome.history.map((said: { text: string; user: string }) => `${said.user}:${said.text}`)).toEqual(["ann:before", "ann:the", "ann:restart"]);
      expect(welcome.peers).toEqual([{ id: welcome.id, user: "bob" }]);
    });
  });
}
