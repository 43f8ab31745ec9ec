/** Rooms of the hand-written servers: sockets by room path. */
export function roomsOf<P>() {
  const rooms = new Map<string, Set<P>>();
  return {
    join(room: string, peer: P): Set<P> {
      let peers = rooms.get(room);
      if (!peers) rooms.set(room, (peers = new Set()));
      peers.add(peer);
      return peers;
    },
    leave(room: string, peer: P): void {
      const peers = rooms.get(room);
      peers?.delete(peer);
      if (peers?.size === 0) rooms.delete(room);
    },
  };
}
