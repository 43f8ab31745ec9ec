import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/index.ts";

describe("Outbox", () => {
  it("sends to each process in order, one batch at a time, gathering what comes meanwhile into the next", async () => {
    const posted: [string, number[]][] = [];
    let release!: () => void;
    const outbox = new Outbox<number>(
      (to, mails) => {
        posted.push([to, [...mails]]);
        // The first batch to "a" is held until released.
        return posted.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      () => {},
    );
    const first = outbox.send("a", 1);
    outbox.send("a", 2);
    outbox.send("b", 10);
    await Promise.resolve();
    await Promise.resolve();
    // While "a"'s first batch is on its way, more for "a" waits; "b" is not held up.
    outbox.send("a", 3);
    const last = outbox.send("a", 4);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(posted).toEqual([["a", [1, 2]], ["b", [10]]]);
    release();
    expect(await first).toBe(true);
    expect(await last).toBe(true);
    expect(posted).toEqual([["a", [1, 2]], ["b", [10]], ["a", [3, 4]]]);
    await outbox.settled();
  });

  it("answers false for mail that could not be stored, reports it once per batch, and keeps sending", async () => {
    const failures: string[] = [];
    let fail = true;
    const outbox = new Outbox<string>(
      async () => {
        if (fail) throw new Error("down");
      },
      (to, error) => failures.push(`${to}: ${(error as Error).message}`),
    );
    const lost = [outbox.send("a", "x"), outbox.send("a", "y")];
    expect(await Promise.all(lost)).toEqual([false, false]);
    expect(failures).toEqual(["a: down"]);
    fail = false;
    expect(await outbox.send("a", "z")).toBe(true);
  });
});
