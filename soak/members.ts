/** Which room each user of an attack joined: a user seen in another room's frames is a cross-room leak. */
export class Members {
  private readonly rooms = new Map<string, string>();

  add(user: string, room: string): void {
    this.rooms.set(user, room);
  }

  /** Users named in `data` (a peer list, a history, one peer or message) that are not members of `room`. */
  strangers(room: string, data: unknown): string[] {
    const out: string[] = [];
    const visit = (item: unknown) => {
      const user = (item as { user?: unknown } | null)?.user;
      if (typeof user === "string" && this.rooms.get(user) !== room) out.push(user);
    };
    if (Array.isArray(data)) data.forEach(visit);
    else visit(data);
    return out;
  }
}

/** A peer list as `welcome` and `who` carry it: `[{id, user}…]`. */
export function isPeerList(value: unknown): value is { id: string; user: string }[] {
  return Array.isArray(value) && value.every((peer) => typeof peer?.id === "string" && typeof peer?.user === "string");
}

/** A history as `welcome` and `history` carry it: `[{user, text, at}…]`. */
export function isHistory(value: unknown): value is { user: string; text: string; at: number }[] {
  return Array.isArray(value) && value.every((said) => typeof said?.user === "string" && typeof said?.text === "string" && typeof said?.at === "number");
}
