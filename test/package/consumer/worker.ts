import { cloudflareRooms } from "@roomwire/roomwire/cloudflare";
import { echo } from "./room";

const rooms = cloudflareRooms({ rooms: { echo } });
export const RoomObject = rooms.RoomObject;
export default { fetch: rooms.fetch };
