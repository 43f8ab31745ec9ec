import { connect } from "@roomwire/roomwire/client";
import type { echo } from "./room.ts";

const client = connect<typeof echo>(`ws://${location.host}/rooms/echo/lobby`, { query: { user: "ann" } });
client.on("said", ({ user, text }) => console.log(user, text));
client.send("say", { text: "hi" });
