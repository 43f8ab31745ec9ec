import type { GenericSchema, InferInput, InferOutput } from "valibot";
import type { RoomDefinition, Schemas } from "./types.ts";

/**
 * What a room definition lets a peer send and receive, as types: shared by
 * `roomwire/client` and `roomwire/testing`, so a test connection and a real
 * client accept exactly the same calls.
 */

/** Event types a client may send, with their input types, from a room definition. */
export type ClientEvents<Def> = Def extends RoomDefinition<infer EV, any, any, any, any> ? { [K in keyof EV & string]: InferInput<EV[K]> } : never;

/** Request types a client may send: input and reply types, from a room definition. */
export type ClientRequests<Def> =
  Def extends RoomDefinition<any, infer RQ extends Schemas, any, any, infer H>
    ? { [K in keyof RQ & string]: { input: InferInput<RQ[K]>; reply: K extends keyof H ? Awaited<H[K]> : unknown } }
    : never;

/** Event types the room sends (its `emits`), with their payload types; any type with an unknown payload when it has no `emits`. */
export type ClientEmits<Def> =
  Def extends RoomDefinition<any, any, infer S extends Schemas, any, any>
    ? keyof S extends never
      ? Record<string, unknown>
      : { [K in keyof S & string]: InferOutput<S[K]> }
    : never;

/** Arguments after the type: data is optional when the schema accepts `undefined`. */
export type DataArgs<T, Rest extends unknown[] = []> = undefined extends T ? [data?: T, ...Rest] : [data: T, ...Rest];

/** Actions server code may call through a room handle: each one's input and result types, from a room definition. */
export type RoomActions<Def> =
  // An untyped handle (`any`): any action, any data, an unknown result.
  0 extends 1 & Def
    ? Record<string, { input: any; result: unknown }>
    : Def extends RoomDefinition<any, any, any, any, any, infer AI, infer A>
    ? {
        [K in keyof A & string]: {
          input: K extends keyof AI ? InferInput<AI[K] & GenericSchema> : A[K] extends (data: infer X, ...rest: any[]) => unknown ? X : unknown;
          result: A[K] extends (...args: any[]) => infer R ? Awaited<R> : unknown;
        };
      }
    : never;

/** The data type of action `K` of a room definition. */
export type ActionInput<Def, K> = K extends keyof RoomActions<Def> ? (RoomActions<Def>[K] extends { input: infer I } ? I : never) : never;

/** The result type of action `K` of a room definition. */
export type ActionResult<Def, K> = K extends keyof RoomActions<Def> ? (RoomActions<Def>[K] extends { result: infer R } ? R : never) : never;

/** A member's presence state, as the room sends it: the output of the definition's `presence.state` schema. */
export type ClientPresence<Def> =
  0 extends 1 & Def ? unknown : Def extends RoomDefinition<any, any, any, any, any, any, any, infer PS> ? (PS extends GenericSchema ? InferOutput<PS> : unknown) : unknown;

/** A member's presence state, as a client sets it: the input of the definition's `presence.state` schema. */
export type ClientPresenceInput<Def> =
  0 extends 1 & Def ? unknown : Def extends RoomDefinition<any, any, any, any, any, any, any, infer PS> ? (PS extends GenericSchema ? InferInput<PS> : never) : unknown;
