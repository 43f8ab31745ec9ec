// The fuzz's hostile frames, each with the answer the chat documents for it.
import { CLOSE_TOO_BIG, KEPT, MAX_FRAME_BYTES, MAX_TEXT, RESERVED_TYPES } from "./chat.ts";
import type { Rng } from "./prng.ts";

export type RequestId = string | number;

/** The one answer a frame must get. */
export type Expect =
  | { on: "error"; code: string }
  | { on: "reply-error"; id: RequestId; code: string }
  | { on: "who"; id: RequestId }
  | { on: "history"; id: RequestId; limit: number }
  | { on: "said"; text: string }
  | { on: "pong" }
  | { on: "close"; code: number };

export interface Planned {
  kind: Kind;
  frame: string | Uint8Array;
  expect: Expect;
  /** The answer ends the connection: sent only when nothing else is awaited. */
  closes?: boolean;
  /** An id the server must reject (a reply carrying it is a wrong answer of this frame). */
  rejectedId?: unknown;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).byteLength;

/** Builds one connection's frames from its own PRNG stream: the same seed gives the same frames. */
export class FrameGen {
  private n = 0;

  constructor(
    private readonly rng: Rng,
    /** Unique per connection; starts every `say` text it sends, so its own `said` can be told apart. */
    private readonly tag: string,
  ) {}

  next(): Planned {
    const kind = this.rng.weighted(WEIGHTS);
    return MAKERS[kind](this);
  }

  /** A request id no other frame of this connection uses; mostly plain, sometimes an odd but valid one. */
  id(): RequestId {
    const n = ++this.n;
    const r = this.rng;
    if (r.chance(0.6)) return n;
    if (r.chance(0.6)) return `r${n}`;
    return r.pick<() => RequestId>([
      () => -n,
      () => n + 0.5,
      () => n * 1e290,
      () => `NaN${n}`,
      () => `Infinity${n}`,
      () => String(n).padStart(128, "x"),
      () => `💬${n}`,
      () => `${n} `,
      () => `\u0000${n}`,
    ])();
  }

  /** A counter for texts and rejected ids. */
  count(): number {
    return ++this.n;
  }

  get r(): Rng {
    return this.rng;
  }

  /** A valid `say` text: starts with this connection's tag and a counter, then filler up to `length` code units. */
  text(length: number): string {
    let text = `${this.tag}.${this.count()}:`;
    const alphabet = this.rng.chance(0.3) ? ["é", "💬", "x", " ", "\\", '"', "\u0000", "中"] : ["a", "b", " ", "z"];
    while (text.length < length) {
      const unit = this.rng.pick(alphabet);
      if (text.length + unit.length > length) break;
      text += unit;
    }
    return text;
  }
}

const json = JSON.stringify;
type Maker = (g: FrameGen) => Planned;

/** `head + filler + tail` of exactly `total` UTF-8 bytes, the filler made of `unit` (1 or 2 bytes). */
function sized(head: string, tail: string, total: number, unit: "x" | "é"): string {
  const room = total - bytes(head) - bytes(tail);
  if (unit === "x") return head + "x".repeat(room) + tail;
  return head + "é".repeat(Math.floor(room / 2)) + "x".repeat(room % 2) + tail;
}

const BROKEN_JSON = [
  "",
  "{",
  "}",
  "[1,2",
  "{'type':'say'}",
  '{"type":"say",}',
  '{"type":"who","id":NaN}',
  '{"type":"who","id":Infinity}',
  '{"type":"history","id":1,"data":{"limit":-}}',
  "undefined",
  "NaN",
  "01",
  "--1",
  '{"type":"who","id":1}garbage',
  '{"type":"who"}{"type":"who"}',
  "\uFEFF" + '{"type":"who","id":1}',
  '{"type":"say","data":{"text":"a\\x"}}',
  '{"type":"say","data":{"text":"\u0001"}}',
  "PING",
  "Ping",
  "ping ",
  " ping",
  "ping\n",
  "pong",
  "\u0000",
];

const NOT_AN_OBJECT = [
  "null",
  "true",
  "false",
  "0",
  "-1.5e3",
  '"ping"',
  '"say"',
  "[]",
  '[{"type":"who","id":1}]',
  "  [ ]  ",
  "{}",
  '{"type":5}',
  '{"type":null}',
  '{"type":["say"]}',
  '{"type":{}}',
  '{"type":true,"id":"x"}',
  '{"data":{"text":"hi"}}',
  '{"__proto__":{"type":"who"},"id":1}',
  '{"TYPE":"who","id":1}',
];

const UNKNOWN_TYPES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "said", "welcome", "joined", "left", "", "SAY", "say ", "who\u0000", "💬", "ping", "pong"];
const unknownType = (g: FrameGen) => (g.r.chance(0.1) ? "t".repeat(g.r.int(200, 5000)) : g.r.chance(0.5) ? g.r.pick(UNKNOWN_TYPES) : `x_${g.r.string(g.r.int(1, 12))}`);
const anyData = (g: FrameGen): unknown => g.r.pick<unknown>([undefined, null, {}, { text: "hi" }, [1, 2], "s", 7, { limit: 5 }]);

/** Nested arrays (or objects) `depth` deep: valid JSON that is not an object with a type. */
function nested(depth: number, objects: boolean): string {
  return objects ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth);
}

const BAD_IDS = [
  () => "{}",
  () => "[]",
  () => '""',
  () => "null",
  () => "true",
  () => "false",
  () => "1e999",
  () => "-1e999",
  (n: number) => json(String(n).padStart(129, "x")),
  (n: number) => json(String(n).padStart(1000, "y")),
  (n: number) => `{"n":${n}}`,
  (n: number) => `[${n}]`,
];

const INVALID_SAY = [
  "",
  ',"data":null',
  ',"data":[]',
  ',"data":"hi"',
  ',"data":5',
  ',"data":{}',
  ',"data":{"text":""}',
  ',"data":{"text":5}',
  ',"data":{"text":null}',
  ',"data":{"text":["a"]}',
  `,"data":{"text":${json("t".repeat(MAX_TEXT + 1))}}`,
  // 1001 emoji are 2002 code units: one over.
  `,"data":{"text":${json("💬".repeat(1001))}}`,
  ',"data":{"txt":"a"}',
  `,"data":{"text":${nested(500, false)}}`,
];

const INVALID_HISTORY = ['"limit":0', '"limit":-0e0', '"limit":201', '"limit":-1', '"limit":1.5', '"limit":"10"', '"limit":null', '"limit":true', '"limit":1e999', '"limit":[5]', '"lim":5', ""];
const INVALID_HISTORY_DATA = [undefined, "null", "[]", '"x"', "5"];
const INVALID_WHO_DATA = ["null", '"x"', "5", "true", "false"];

const request = (type: string, id: RequestId, data?: string) => `{"type":${json(type)},"id":${json(id)}${data === undefined ? "" : `,"data":${data}`}}`;

const MAKERS: Record<Kind, Maker> = {
  ping: () => ({ kind: "ping", frame: "ping", expect: { on: "pong" } }),

  "bad-json": (g) => {
    // Any proper prefix of an object's text is broken JSON.
    const frame = g.r.chance(0.3) ? json({ type: "say", data: { text: g.r.string(g.r.int(1, 40)) } }).slice(0, g.r.int(1, 20)) : g.r.pick(BROKEN_JSON);
    return { kind: "bad-json", frame, expect: { on: "error", code: "bad_json" } };
  },

  "not-object": (g) => {
    // Deep nesting stays under 64 KiB: 2 bytes a level for arrays, 6 for objects.
    const frame = g.r.chance(0.05) ? (g.r.chance(0.5) ? nested(g.r.int(100, 20_000), false) : nested(g.r.int(100, 10_000), true)) : g.r.pick(NOT_AN_OBJECT);
    return { kind: "not-object", frame, expect: { on: "error", code: "invalid_message" } };
  },

  "unknown-event": (g) => {
    const data = anyData(g);
    return { kind: "unknown-event", frame: json({ type: unknownType(g), data }), expect: { on: "error", code: "unknown_type" } };
  },

  "unknown-request": (g) => {
    const id = g.id();
    return { kind: "unknown-request", frame: json({ type: unknownType(g), id, data: anyData(g) }), expect: { on: "reply-error", id, code: "unknown_type" } };
  },

  "reserved-event": (g) => ({ kind: "reserved-event", frame: json({ type: g.r.pick(RESERVED_TYPES), data: anyData(g) }), expect: { on: "error", code: "unknown_type" } }),

  "reserved-request": (g) => {
    const id = g.id();
    return { kind: "reserved-request", frame: json({ type: g.r.pick(RESERVED_TYPES), id, data: anyData(g) }), expect: { on: "reply-error", id, code: "unknown_type" } };
  },

  // A request type sent as an event, and an event type sent as a request.
  "request-as-event": (g) => ({
    kind: "request-as-event",
    frame: g.r.pick(['{"type":"who"}', '{"type":"who","data":{}}', '{"type":"history","data":{"limit":5}}']),
    expect: { on: "error", code: "unknown_type" },
  }),
  "event-as-request": (g) => {
    const id = g.id();
    return { kind: "event-as-request", frame: request("say", id, '{"text":"hi"}'), expect: { on: "reply-error", id, code: "unknown_type" } };
  },

  "bad-id": (g) => {
    const id = g.r.pick(BAD_IDS)(g.count());
    const body = g.r.pick(['"type":"who"', '"type":"history","data":{"limit":3}', '"type":"say","data":{"text":"hi"}', '"type":"nope"']);
    return { kind: "bad-id", frame: `{${body},"id":${id}}`, expect: { on: "error", code: "invalid_message" }, rejectedId: JSON.parse(id) };
  },

  "odd-valid-id": (g) => {
    const id = g.id();
    return { kind: "odd-valid-id", frame: request("who", id), expect: { on: "who", id } };
  },

  "invalid-say": (g) => ({ kind: "invalid-say", frame: `{"type":"say"${g.r.pick(INVALID_SAY)}}`, expect: { on: "error", code: "invalid_message" } }),

  "invalid-history": (g) => {
    const id = g.id();
    const data = g.r.chance(0.7) ? `{${g.r.pick(INVALID_HISTORY)}}` : g.r.pick(INVALID_HISTORY_DATA);
    return { kind: "invalid-history", frame: request("history", id, data), expect: { on: "reply-error", id, code: "invalid_message" } };
  },

  "invalid-who": (g) => {
    const id = g.id();
    return { kind: "invalid-who", frame: request("who", id, g.r.pick(INVALID_WHO_DATA)), expect: { on: "reply-error", id, code: "invalid_message" } };
  },

  "valid-say": (g) => {
    const text = g.text(g.r.chance(0.9) ? g.r.int(1, 60) : g.r.int(1, MAX_TEXT));
    // Extra fields are allowed by the schema (valibot's object ignores them).
    const data = g.r.chance(0.2) ? { text, extra: [1, { deep: true }] } : { text };
    return { kind: "valid-say", frame: json({ type: "say", data }), expect: { on: "said", text } };
  },

  "valid-who": (g) => {
    const id = g.id();
    const data = g.r.pick([undefined, "{}", '{"extra":1}', `{"deep":${nested(2000, false)}}`]);
    return { kind: "valid-who", frame: request("who", id, data), expect: { on: "who", id } };
  },

  "valid-history": (g) => {
    const id = g.id();
    if (g.r.chance(0.2)) {
      // Numbers JSON writes oddly that are still integers in range.
      const [text, limit] = g.r.pick([["1e1", 10], ["5.0", 5], ["2e2", 200], ["1.0e0", 1]] as const);
      return { kind: "valid-history", frame: request("history", id, `{"limit":${text}}`), expect: { on: "history", id, limit } };
    }
    const limit = g.r.chance(0.95) ? g.r.int(1, 20) : g.r.int(1, KEPT);
    return { kind: "valid-history", frame: request("history", id, json({ limit })), expect: { on: "history", id, limit } };
  },

  binary: (g) => {
    const frame = g.r.chance(0.2) ? encoder.encode(g.r.pick(["ping", '{"type":"who","id":1}', '{"type":"say","data":{"text":"hi"}}'])) : g.r.bytes(g.r.int(0, 1000));
    return { kind: "binary", frame, expect: { on: "error", code: "unsupported" } };
  },

  // Frames at the 64 KiB limit, not over it: answered, the connection stays open.
  "at-limit": (g) => {
    const choice = g.r.int(0, 2);
    if (choice === 2) {
      const id = g.id();
      return { kind: "at-limit", frame: sized(`{"type":"who","id":${json(id)},"data":{"pad":"`, '"}}', MAX_FRAME_BYTES, "x"), expect: { on: "who", id } };
    }
    const frame = sized('{"type":"say","data":{"text":"', '"}}', MAX_FRAME_BYTES - g.r.int(0, 3) * (choice === 0 ? 1 : 0), choice === 0 ? "x" : "é");
    return { kind: "at-limit", frame, expect: { on: "error", code: "invalid_message" } };
  },

  // Over the limit, in bytes: closed with 1009, including text whose character count is under it.
  oversize: (g) => {
    const expect = { on: "close", code: CLOSE_TOO_BIG } as const;
    const head = '{"type":"say","data":{"text":"';
    const choice = g.r.int(0, 4);
    const frame =
      choice === 0
        ? sized(head, '"}}', MAX_FRAME_BYTES + 1, "x")
        : choice === 1
          ? sized(head, '"}}', g.r.int(MAX_FRAME_BYTES + 1, 4 * MAX_FRAME_BYTES), "x")
          : choice === 2
            ? head + "é".repeat(g.r.int(32_760, 40_000)) + '"}}'
            : choice === 3
              ? head + "💬".repeat(g.r.int(16_400, 30_000)) + '"}}'
              : g.r.bytes(g.r.int(MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES));
    return { kind: "oversize", frame, expect, closes: true };
  },
};

export type Kind =
  | "ping"
  | "bad-json"
  | "not-object"
  | "unknown-event"
  | "unknown-request"
  | "reserved-event"
  | "reserved-request"
  | "request-as-event"
  | "event-as-request"
  | "bad-id"
  | "odd-valid-id"
  | "invalid-say"
  | "invalid-history"
  | "invalid-who"
  | "valid-say"
  | "valid-who"
  | "valid-history"
  | "binary"
  | "at-limit"
  | "oversize";

/** Relative frequency of each kind (per 10,000 frames). */
export const WEIGHTS: Readonly<Record<Kind, number>> = {
  ping: 400,
  "bad-json": 1500,
  "not-object": 1100,
  "unknown-event": 800,
  "unknown-request": 600,
  "reserved-event": 400,
  "reserved-request": 400,
  "request-as-event": 300,
  "event-as-request": 300,
  "bad-id": 1000,
  "odd-valid-id": 300,
  "invalid-say": 800,
  "invalid-history": 600,
  "invalid-who": 300,
  "valid-say": 250,
  "valid-who": 300,
  "valid-history": 150,
  binary: 400,
  "at-limit": 15,
  oversize: 3,
};
