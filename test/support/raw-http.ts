import { connect } from "node:net";

/** An HTTP/1.1 response as it came over the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank
 * line) and `body` over a plain TCP socket, so the request target and headers
 * reach the server exactly as written (no URL normalisation, no forbidden
 * headers). Adds `Connection: close` and reads the response until the server
 * closes the socket.
 */
export function rawRequest(port: number, head: string, body = "", timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response to ${JSON.stringify(head.split("\r\n")[0])} within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1"))}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    };
    // Some servers keep the socket open a while after the response despite `Connection: close`.
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", finish);
    socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/** Whether `bytes` hold a whole response: its head and the body its framing announces. */
function complete(bytes: Buffer): boolean {
  const end = bytes.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const head = bytes.subarray(0, end).toString("latin1").toLowerCase();
  const body = bytes.subarray(end + 4);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return body.includes("\r\n0\r\n\r\n") || body.subarray(0, 5).toString() === "0\r\n\r\n";
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  return length !== null && body.length >= Number(length[1]);
}

function parse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf("\r\n\r\n");
  if (end === -1) throw new Error(`expected an HTTP response head; the server sent ${JSON.stringify(bytes.toString("latin1"))}`);
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`expected an HTTP status line; got ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") body = unchunk(body);
  return { status, headers, body: body.toString("utf8") };
}

function unchunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
