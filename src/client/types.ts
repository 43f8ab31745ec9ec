// The definition-derived types live in the core, shared with roomwire/testing; the client imports them as types only.
export type { ClientEvents, ClientRequests, ClientEmits, ClientPresence, ClientPresenceInput, DataArgs } from "../definition-types.ts";
