import { connect, createServer, type Server, type Socket } from "node:net";

/** One client connection through the proxy and its upstream half. */
interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Swallow data both ways (the link stays open). */
  blackholed: boolean;
  /** What the client sent before the upstream existed (a held connection). */
  early: Buffer[];
}

/**
 * A TCP proxy on a free 127.0.0.1 port in front of a server, to cut and
 * restore a client's link:
 *
 * - `drop()` destroys every current connection (both sides, no close frame);
 * - `pause("refuse")` destroys new connections as they come, `pause("hold")`
 *   keeps them waiting (no upstream) until `resume()`;
 * - `blackhole()` keeps the current connections open but swallows their data
 *   in both directions (a dead link that has not noticed yet); connections
 *   opened afterwards pass normally.
 *
 * It records the first line and the headers of every HTTP request it sees
 * (the first chunk of each connection), so tests can count upgrade attempts.
 */
export class Proxy {
  /** The first chunk of every connection that sent one: request line and headers. */
  readonly requests: string[] = [];
  private readonly links = new Set<Link>();
  private readonly held: Link[] = [];
  private mode: "open" | "refuse" | "hold" = "open";

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  /** Starts a proxy to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<Proxy> {
    let proxy: Proxy | undefined;
    const server = createServer((client) => proxy!.accept(client));
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
    proxy = new Proxy(server, port, targetPort);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** WebSocket upgrade requests seen so far. */
  get upgrades(): number {
    return this.requests.filter((head) => /^upgrade:\s*websocket/im.test(head)).length;
  }

  /** Connections currently open through the proxy. */
  get open(): number {
    return this.links.size;
  }

  /** Destroys every current connection, both sides. */
  drop(): void {
    for (const link of [...this.links]) this.destroy(link);
  }

  /** Stops passing new connections: `refuse` destroys them at once, `hold` keeps them until `resume()`. */
  pause(mode: "refuse" | "hold" = "refuse"): void {
    this.mode = mode;
  }

  /** Passes new connections again, and the held ones. */
  resume(): void {
    this.mode = "open";
    for (const link of this.held.splice(0)) if (!link.client.destroyed) this.connectUpstream(link);
  }

  /** Swallows all data, both ways, of the connections open now; they stay open. */
  blackhole(): void {
    for (const link of this.links) link.blackholed = true;
  }

  /** Stops reading what the server sends on the connections open now (a client that stalls); `unstall()` reads again. */
  stall(): void {
    for (const link of this.links) link.upstream?.pause();
  }

  /** Reads from the server again on every stalled connection. */
  unstall(): void {
    for (const link of this.links) link.upstream?.resume();
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.held.splice(0);
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const link: Link = { client, upstream: undefined, blackholed: false, early: [] };
    client.on("error", () => this.destroy(link));
    client.on("close", () => this.destroy(link));
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    this.links.add(link);
    let first = true;
    client.on("data", (chunk: Buffer) => {
      if (first) {
        first = false;
        this.requests.push(chunk.toString("latin1").split("\r\n\r\n")[0]!);
      }
      if (link.blackholed) return;
      if (link.upstream) link.upstream.write(chunk);
      else link.early.push(chunk);
    });
    if (this.mode === "hold") this.held.push(link);
    else this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    link.upstream = upstream;
    upstream.on("error", () => this.destroy(link));
    // The server hung up: pass on what it sent before (its close frame included), then end the client's side.
    upstream.on("close", () => {
      if (this.links.delete(link)) link.client.end();
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!link.blackholed) link.client.write(chunk);
    });
    // (a socket queues what is written before it connects)
    for (const chunk of link.early.splice(0)) upstream.write(chunk);
  }

  private destroy(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}
