import * as v from "valibot";
import { defineRoom } from "../../src/index.ts";
// A: no tags, no events
defineRoom({
  upgrade: () => ({ name: "anon" }),
  requests: { me: v.optional(v.object({})) },
  replies: { me: (_data, connection) => connection.data.name },
});
// B: with on
defineRoom({
  upgrade: () => ({ name: "anon" }),
  events: { rename: v.object({ name: v.string() }) },
  requests: { me: v.optional(v.object({})) },
  on: { rename({ name }, connection) { connection.setData({ name }); } },
  replies: { me: (_data, connection) => connection.data.name },
});
// C: with tags
defineRoom({
  upgrade: () => ({ name: "anon" }),
  tags: () => ["member"],
  requests: { me: v.optional(v.object({})) },
  replies: { me: (_data, connection) => connection.data.name },
});
// D: on with arrow
defineRoom({
  upgrade: () => ({ name: "anon" }),
  events: { rename: v.object({ name: v.string() }) },
  requests: { me: v.optional(v.object({})) },
  on: { rename: ({ name }, connection) => connection.setData({ name }) },
  replies: { me: (_data, connection) => connection.data.name },
});
// E: no upgrade
defineRoom({
  events: { rename: v.object({ name: v.string() }) },
  requests: { me: v.optional(v.object({})) },
  on: { rename: ({ name }) => void name },
  replies: { me: (_data, connection) => connection.id },
});
