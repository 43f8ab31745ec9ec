import { LimitError } from "./errors.ts";
import { CONNECTION_DATA_BUDGET } from "./limits.ts";
import type { Attachment } from "./ports.ts";
import { byteLength } from "./bytes.ts";

const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 256;

/**
 * Builds and checks what a socket carries through hibernation. The 16 KiB
 * budget holds on every runtime, so a room that works on Bun never breaks on
 * Cloudflare's attachment limit.
 */
export function makeAttachment(id: string, data: unknown, tags: readonly string[] = []): Attachment {
  if (tags.length > MAX_TAGS) {
    throw new LimitError(`A connection may have at most ${MAX_TAGS} tags; tags() returned ${tags.length}.`);
  }
  for (const tag of tags) {
    if (typeof tag !== "string" || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      throw new LimitError(`Each tag must be a string of 1–${MAX_TAG_LENGTH} characters; got ${JSON.stringify(tag)}.`);
    }
  }
  const attachment: Attachment = tags.length > 0 ? { id, data, tags: [...tags] } : { id, data };
  checkBudget(attachment);
  return attachment;
}

function checkBudget(attachment: Attachment): void {
  const json = JSON.stringify(attachment);
  if (json === undefined) throw new TypeError("Connection data must be JSON-serialisable.");
  const size = byteLength(json);
  if (size > CONNECTION_DATA_BUDGET) {
    throw new LimitError(
      `Connection data is ${size} bytes serialised (with roomwire's own fields); the budget is ${CONNECTION_DATA_BUDGET} bytes. ` +
        "Keep large or growing state in room.storage and only keys in connection data.",
    );
  }
}
