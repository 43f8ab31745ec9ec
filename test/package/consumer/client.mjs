// Node: the core and the client from the installed package, talking to a running server.
import WebSocket from "ws";
import { isRoomName } from "@roomwire/roomwire";
import { connect } from "@roomwire/roomwire/client";

const [base, user] = process.argv.slice(2);
if (!isRoomName("lobby")) throw new Error("isRoomName rejected a valid name");
const client = connect(`${base}/ws/rooms/echo/lobby`, { query: { user }, WebSocket, reconnect: false });
const said = new Promise((resolve) => client.on("said", resolve));
client.send("say", { text: `hello from node ${process.version}` });
const event = await said;
const count = await client.request("count", {});
client.close();
console.log(JSON.stringify({ said: event, count }));
