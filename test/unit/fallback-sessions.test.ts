import { describe, expect, it } from "vitest";
import { postFrames, StreamSessions } from "../../src/index.ts";

const attachment = (id: string) => ({ id, data: {} });

/** Reads what a session's stream carried so far. */
async function streamed(response: Response, until: string): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(until)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe("fallback sessions", () => {
  it("bounds sessions per room and per client with 429 and a reason", async () => {
    const sessions = new StreamSessions({ perRoom: 2, perClient: 1 }, () => {});
    const first = sessions.open("chat/a", "10.0.0.1", attachment("1"));
    const fromSame = sessions.open("chat/a", "10.0.0.1", attachment("2"));
    expect(fromSame).toBeInstanceOf(Response);
    expect((fromSame as Response).status).toBe(429);
    expect(await (fromSame as Response).text()).toContain("This client has 1 fallback (event stream) sessions open");
    sessions.open("chat/a", "10.0.0.2", attachment("3"));
    const full = sessions.open("chat/a", "10.0.0.3", attachment("4")) as Response;
    expect(full.status).toBe(429);
    expect(full.headers.get("retry-after")).toBe("10");
    expect(await full.text()).toContain("This room has 2 fallback");
    // Another room is counted on its own.
    expect(sessions.open("chat/b", "10.0.0.3", attachment("5"))).not.toBeInstanceOf(Response);
    sessions.closeAll(1001, "done");
    expect(first).not.toBeInstanceOf(Response);
  });

  it("names the session first, numbers numbered frames with their seq, and ends with the close code", async () => {
    const ended: string[] = [];
    const sessions = new StreamSessions({}, (session) => ended.push(session.id));
    const session = sessions.open("chat/a", undefined, attachment("1"));
    if (session instanceof Response) throw new Error("refused");
    session.send('{"type":"said","data":{"text":"hi"},"seq":7}');
    session.send('{"type":"welcome","data":{}}');
    expect(session.send(new Uint8Array([1]))).toBe("dropped");
    session.close(1013, "slow consumer");
    const text = await streamed(session.response, "roomwire-close");
    expect(text).toBe(
      `retry: 2000\nevent: roomwire-session\ndata: ${session.id}\n\n` +
        `id: 7\ndata: {"type":"said","data":{"text":"hi"},"seq":7}\n\n` +
        `data: {"type":"welcome","data":{}}\n\n` +
        `event: roomwire-close\ndata: {"code":1013,"reason":"slow consumer"}\n\n`,
    );
    expect(ended).toEqual([session.id]);
    expect(sessions.find(session.id, "chat/a")).toBeUndefined();
    expect(session.send("{}")).toBe("dropped");
  });

  it("closes a session silent past the idle timeout with 1001", async () => {
    const ended: string[] = [];
    const sessions = new StreamSessions({ idleMs: 100 }, (session) => ended.push(session.id));
    const session = sessions.open("chat/a", undefined, attachment("1"));
    if (session instanceof Response) throw new Error("refused");
    const text = await streamed(session.response, "roomwire-close");
    expect(text).toContain('event: roomwire-close\ndata: {"code":1001,"reason":"idle timeout"}');
    expect(ended).toEqual([session.id]);
  });

  it("answers POSTs: 404 for an unknown or ended session, 413 over the limit, 204 and one frame per line", async () => {
    const sessions = new StreamSessions({}, () => {});
    const session = sessions.open("chat/a", undefined, attachment("1"));
    if (session instanceof Response) throw new Error("refused");
    const frames: string[] = [];
    const post = (body: string, to: typeof session | undefined = session) => postFrames(to, new Request("http://x/", { method: "POST", body }), 16, (frame) => frames.push(frame));
    expect((await post('{"a":1}\n{"b":2}\n')).status).toBe(204);
    expect(frames).toEqual(['{"a":1}', '{"b":2}']);
    expect((await post("x".repeat(17))).status).toBe(413);
    expect((await postFrames(undefined, new Request("http://x/", { method: "POST", body: "{}" }), 16, () => {})).status).toBe(404);
    session.close();
    expect((await post("{}")).status).toBe(404);
    expect(frames).toHaveLength(2);
  });
});
