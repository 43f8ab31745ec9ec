import * as v from "valibot";
import { defineRoom, RoomError, type Room } from "../../src/index.ts";

/**
 * The dashboard room: a set of named metrics kept in room storage, each with
 * its last `RECENT` values for a chart. A joining client gets a `snapshot`
 * (every metric with its recent values); after that every client gets
 * `changed` with only the metrics that changed, and extends its charts itself.
 *
 * Metrics change three ways, each a turn of the room:
 * - an HTTP POST to the room (`http`): `{"cpu": 42}`, validated, answered with what changed;
 * - server code calling the `record` action with the same object, through a
 *   room handle: `await rooms.room("dashboard", "main").call("record", { cpu: 42 })`;
 * - a simulated feed: server code calls the `tick` action, one step of a random
 *   walk of `visitors`, `requests_per_s` and `latency_ms`. On Bun, Deno and
 *   Node a timer in the entry file calls it every FEED_MS ms; on Cloudflare a
 *   cron trigger does, once a minute (see cloudflare.ts).
 */

/** Metric names: what a script may POST. */
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** How many metrics one room keeps, and one POST may carry. */
export const MAX_METRICS = 100;
/**
 * How many recent values each metric keeps for its chart (page.ts draws as many).
 * They live in the metric's own record, so a POST of 100 metrics writes 100 keys
 * (a turn may write 128), of at most about 1 KiB each.
 */
export const RECENT = 30;
/** A POST body larger than this is refused (413). */
const MAX_BODY_BYTES = 16 * 1024;

const metric = v.object({ value: v.number(), at: v.number() });
/** One metric as `changed` sends it: its value and when it last changed (ms since the epoch). */
export type Metric = v.InferOutput<typeof metric>;
const metrics = v.record(v.string(), metric);
export type Metrics = v.InferOutput<typeof metrics>;
/** One metric as stored and sent in the `snapshot`: also its last values, oldest first, ending with `value`. */
const stored = v.object({ value: v.number(), at: v.number(), recent: v.array(v.number()) });
export type StoredMetric = v.InferOutput<typeof stored>;

/** The body of a POST, and the data of the `record` action: `{"cpu": 42, "memory": 63.5}`. */
const update = v.pipe(
  // v.record alone would take an array as an object of "0", "1" …
  v.custom<object>((input) => typeof input === "object" && input !== null && !Array.isArray(input), "expected a JSON object of metric names to numbers"),
  v.record(
    v.pipe(v.string(), v.regex(NAME, "a metric name is 1–64 characters of A–Z, a–z, 0–9, '_', '.' and '-'")),
    v.pipe(v.number("expected a number"), v.finite("expected a finite number")),
    "expected a JSON object of metric names to numbers",
  ),
  v.minEntries(1, "expected at least one metric"),
  v.maxEntries(MAX_METRICS, `expected at most ${MAX_METRICS} metrics`),
);

/** The simulated feed: a random walk of a few metrics within their bounds. */
export const FEED: Record<string, { min: number; max: number; step: number; digits: number }> = {
  visitors: { min: 20, max: 400, step: 12, digits: 0 },
  requests_per_s: { min: 50, max: 2_000, step: 80, digits: 0 },
  latency_ms: { min: 8, max: 250, step: 10, digits: 0 },
};

export const dashboard = defineRoom({
  emits: {
    /** Every metric with its recent values, sent to a client when it connects. */
    snapshot: v.object({ metrics: v.record(v.string(), stored) }),
    /** Only the metrics that changed, and what changed them: a POST, the `record` action, or the feed's `tick`. */
    changed: v.object({ metrics, source: v.picklist(["http", "action", "feed"]) }),
  },
  async connect(connection, room) {
    connection.send("snapshot", { metrics: await readAll(room) });
  },
  actionInputs: { record: update },
  actions: {
    /** Sets metrics from server code, as a POST does; resolves with the ones that changed. */
    async record(values, room) {
      const stored = await apply(room, values);
      if ("error" in stored) throw new RoomError("too_many_metrics", stored.error);
      const { changed } = stored;
      if (Object.keys(changed).length > 0) room.broadcast("changed", { metrics: changed, source: "action" });
      return changed;
    },
    /**
     * One step of the simulated feed; resolves with the metrics it moved.
     * While nobody is connected it does nothing (and resolves with `{}`):
     * nobody would see the step, and the charts would fill with unseen values.
     */
    async tick(_data: undefined, room): Promise<Metrics> {
      if (room.connections().length === 0) return {};
      const changed = await step(room);
      if (Object.keys(changed).length > 0) room.broadcast("changed", { metrics: changed, source: "feed" });
      return changed;
    },
  },
  async http(request, room) {
    if (request.method === "GET" || request.method === "HEAD") return json({ metrics: await readAll(room) });
    if (request.method !== "POST") {
      return json({ error: `${request.method} is not supported here: GET reads the metrics, POST updates them.` }, 405, { allow: "GET, HEAD, POST" });
    }
    const tooBig = () => json({ error: `The body is over ${MAX_BODY_BYTES} bytes; send fewer metrics at a time.` }, 413);
    // The declared length first, so an oversized body is not read at all; the real length next.
    if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return tooBig();
    const text = await request.text();
    if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES) return tooBig();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json({ error: `The body is not JSON. Send an object of metric names to numbers, e.g. {"cpu": 42}.` }, 400);
    }
    const parsed = v.safeParse(update, body);
    if (!parsed.success) return json({ error: `Invalid metrics: ${describe(parsed.issues)}. Send e.g. {"cpu": 42}.` }, 400);
    const stored = await apply(room, parsed.output);
    if ("error" in stored) return json(stored, 400);
    const { changed } = stored;
    if (Object.keys(changed).length > 0) room.broadcast("changed", { metrics: changed, source: "http" });
    return json({ changed });
  },
});

type DashboardRoom = Room<any, any>;

const key = (name: string) => `metric:${name}`;

/** Every metric of the room with its recent values, by name. */
async function readAll(room: DashboardRoom): Promise<Record<string, StoredMetric>> {
  const stored = await room.storage.list<StoredMetric>({ prefix: "metric:" });
  // A metric stored before the charts has no recent values: its chart starts at its value.
  return Object.fromEntries([...stored].map(([k, metric]) => [k.slice("metric:".length), { ...metric, recent: metric.recent ?? [metric.value] }]));
}

/** Stores the values that differ from the stored ones, each under its own key; returns those (or why none were stored). */
async function apply(room: DashboardRoom, values: Record<string, number>): Promise<{ changed: Metrics } | { error: string }> {
  const current = await readAll(room);
  const added = Object.keys(values).filter((name) => !Object.hasOwn(current, name)).length;
  if (Object.keys(current).length + added > MAX_METRICS) {
    return { error: `This room keeps at most ${MAX_METRICS} metrics and has ${Object.keys(current).length}; update existing ones instead.` };
  }
  const at = Date.now();
  const changed: Metrics = {};
  for (const [name, value] of Object.entries(values)) {
    const before = current[name];
    if (before?.value === value) continue;
    changed[name] = { value, at };
    await room.storage.put(key(name), { value, at, recent: [...(before?.recent ?? []), value].slice(-RECENT) } satisfies StoredMetric);
  }
  return { changed };
}

/** One step of the simulated feed: moves some of the feed's metrics (at least one), from their stored values. */
async function step(room: DashboardRoom): Promise<Metrics> {
  const current = await readAll(room);
  const names = Object.keys(FEED);
  // A feed metric the room does not have yet always moves, so the first tick fills the dashboard.
  const moving = names.filter((name) => !Object.hasOwn(current, name) || Math.random() < 0.6);
  if (moving.length === 0) moving.push(names[Math.floor(Math.random() * names.length)]!);
  const values: Record<string, number> = {};
  for (const name of moving) {
    const { min, max, step, digits } = FEED[name]!;
    const from = current[name]?.value ?? round(min + Math.random() * (max - min), digits);
    values[name] = walk(from, min, max, step, digits);
  }
  // A room full of POSTed metrics has no place for the feed's: nothing moves.
  const stored = await apply(room, values);
  return "error" in stored ? {} : stored.changed;
}

/** A random step from `from`, kept within [min, max], never zero. */
function walk(from: number, min: number, max: number, step: number, digits: number): number {
  const unit = 10 ** -digits;
  const size = Math.max(unit, round(Math.random() * step, digits));
  const up = from - size < min || (from + size <= max && Math.random() < 0.5);
  return round(up ? from + size : from - size, digits);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** valibot's issues as one line. */
function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((item) => JSON.stringify(item.key)).join(".");
      // For a wrong type, say what came instead: `"cpu": expected a number, got "high"`.
      const message = issue.kind === "schema" ? `${issue.message}, got ${issue.received}` : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join("; ");
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}
