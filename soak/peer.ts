/** A WebSocket client (the runtime's global WebSocket) that hands every frame to `onFrame`. */
export class Peer {
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly ws: WebSocket,
    closed: Promise<{ code: number; reason: string }>,
  ) {
    this.closed = closed;
  }

  /** Opens `url`; rejects if the socket fails before it opens or `timeoutMs` passes. */
  static open(url: string, onFrame: (data: string | ArrayBuffer) => void, timeoutMs = 15_000): Promise<Peer> {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => onFrame(event.data as string | ArrayBuffer);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason }));
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (ws.close(), reject(new Error(`${url}: not open within ${timeoutMs} ms`))), timeoutMs);
      ws.onopen = () => (clearTimeout(timer), resolve(new Peer(ws, closed)));
      ws.onerror = () => (clearTimeout(timer), reject(new Error(`${url}: the socket failed to open`)));
    });
  }

  send(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}
