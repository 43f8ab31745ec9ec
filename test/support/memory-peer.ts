import type { Received as RoomReceived, TestConnection } from "../../src/testing/index.ts";
import { isJson, matcher, noMatch, type Frame, type Received, type TestPeer } from "./peer.ts";

/**
 * A test peer over a `testRoom` connection, so the suites that also run in
 * memory (test/storage) drive it as they drive a real WebSocket: sends do
 * not wait for the room, requests resolve with the whole reply frame, and
 * `next` takes frames in the same way.
 */
export function memoryPeer(connection: TestConnection): TestPeer {
  /** Frames `next` has taken; the rest of `connection.received` is `frames`. */
  const taken = new Set<RoomReceived>();
  const unread = () => connection.received.filter((frame) => !taken.has(frame)) as Received[];
  let nextId = 1;
  let closedByClient: { code: number; reason: string } | undefined;
  let closed: Promise<{ code: number; reason: string }> | undefined;

  const peer: TestPeer = {
    get frames() {
      return unread();
    },
    get open() {
      return connection.open;
    },
    /** The room's close of a connection is not an event of TestConnection: watched for once asked. */
    get closed() {
      closed ??= new Promise((resolve) => {
        const check = () => (connection.open ? setTimeout(check, 10) : resolve(connection.closedBy ?? closedByClient ?? { code: 1006, reason: "" }));
        check();
      });
      return closed;
    },
    send: (type, data) => peer.raw(JSON.stringify(data === undefined ? { type } : { type, data })),
    raw: (frame) => void connection.sendRaw(frame),
    request(type, data) {
      const id = `r${nextId++}`;
      const reply = peer.next((frame) => isJson(frame) && frame.type === "reply" && frame.id === id);
      peer.raw(JSON.stringify({ type, id, data }));
      return reply as Promise<Frame>;
    },
    next(match, timeoutMs = 5_000) {
      const test = matcher(match);
      const seen = unread().find(test);
      if (seen !== undefined) {
        taken.add(seen);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          reject(noMatch(match, timeoutMs, unread()));
        }, timeoutMs);
        void connection.next((frame) => !taken.has(frame) && test(frame as Received)).then((frame) => {
          // A frame that comes after the timeout stays unread.
          if (late) return;
          clearTimeout(timer);
          taken.add(frame);
          resolve(frame);
        });
      });
    },
    nextBinary: (timeoutMs) => peer.next((frame) => frame instanceof Uint8Array, timeoutMs),
    events: (type) => unread().filter((frame) => isJson(frame) && frame.type === type).map((frame) => (frame as Frame).data),
    close(code, reason) {
      closedByClient = { code: code ?? 1005, reason: reason ?? "" };
      void connection.close(code, reason);
    },
    drop() {
      closedByClient = { code: 1006, reason: "" };
      void connection.drop();
    },
  };
  return peer;
}
