import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";

/** How the server answered an upgrade: 101 (the socket is closed again at once), or the refusal as sent. */
export interface UpgradeAnswer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** Tries to open a WebSocket and reads the refusal in full; then closes the connection, as a browser does. */
export function upgradeAnswer(url: string): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => {
      socket.terminate();
      resolve({ status: 101, retryAfter: null, body: "" });
    });
    socket.once("unexpected-response", (request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk));
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers["retry-after"] ?? null, body });
      });
    });
    socket.once("error", reject);
  });
}

/** Sockets that each send an upgrade request's first lines and never finish its headers (slowloris). */
export async function halfSentRequests(port: number, count: number, path = "/rooms/socket/a"): Promise<{ sockets: Socket[]; close(): void }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`);
    sockets.push(socket);
    // A pause now and then lets the server accept as they come, as a real burst would.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { sockets, close: () => sockets.forEach((socket) => socket.destroy()) };
}

/** How many file descriptors process `pid` holds (Linux), or undefined where that cannot be read. */
export function descriptors(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}
