import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP load balancer on a free 127.0.0.1 port: each new connection goes to
 * the first backend port of `order` that accepts it, so a client whose
 * server died lands on the next one when it reconnects.
 */
export class Balancer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(order: () => number[]): Promise<Balancer> {
    let balancer: Balancer | undefined;
    const server = createServer((client) => balancer!.accept(client, order()));
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
    return (balancer = new Balancer(server, port));
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket, ports: number[]): void {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    const attempt = (i: number) => {
      if (i >= ports.length || client.destroyed) return client.destroy();
      const upstream = connect(ports[i]!, "127.0.0.1");
      let connected = false;
      upstream.once("error", () => {
        // Refused: that backend is down, try the next.
        if (!connected) attempt(i + 1);
      });
      upstream.once("connect", () => {
        connected = true;
        this.sockets.add(upstream);
        upstream.once("close", () => (this.sockets.delete(upstream), client.destroy()));
        client.once("close", () => upstream.destroy());
        upstream.on("error", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
