/** Options of `serve`: those of `Deno.serve` on TCP (with `cert` and `key` for TLS), plus how soon to listen again. */
export type ServeOptions = (Deno.ServeTcpOptions | (Deno.ServeTcpOptions & Deno.TlsCertifiedKeyPem)) & {
  /**
   * Milliseconds before listening again after Deno stopped accepting because
   * the process ran out of file descriptors. Doubles, up to 30 s, while it
   * keeps happening within a minute. Default 1,000.
   */
  relistenDelayMs?: number;
};

/** A server started by `serve`. */
export interface RoomServer {
  /** Where it listens; after a relisten, the same hostname and port. */
  readonly addr: Deno.NetAddr;
  /** Settles when the server has shut down; rejects on an error other than running out of file descriptors. */
  readonly finished: Promise<void>;
  /** Stops listening and closes every connection it served, WebSockets included. */
  shutdown(): Promise<void>;
}

const MAX_RELISTEN_DELAY_MS = 30_000;
/** A listener that lasted this long resets the relisten delay. */
const CALM_MS = 60_000;

/**
 * `Deno.serve` that survives running out of file descriptors. When `accept`
 * fails with "Too many open files", Deno ends its accept loop, closes the
 * listener and rejects `finished`; unhandled, that rejection ends the
 * process. Here it is absorbed (that error only) and the server listens
 * again on the same address after `relistenDelayMs`. Connections already
 * served, WebSockets included, carry on meanwhile; new ones are refused by
 * the operating system until then.
 *
 * @example
 * const rooms = denoRooms({ rooms: { chat } });
 * serve({ port: 8787 }, rooms.fetch);
 */
export function serve(options: ServeOptions, handler: Deno.ServeHandler<Deno.NetAddr>): RoomServer {
  const { relistenDelayMs = 1_000, onListen, ...serveOptions } = options;
  const servers = new Set<Deno.HttpServer<Deno.NetAddr>>();
  const { promise: finished, resolve, reject } = Promise.withResolvers<void>();
  let stopped = false;
  let delay = relistenDelayMs;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stop = (error?: unknown) => {
    stopped = true;
    clearTimeout(timer);
    if (error === undefined) resolve();
    else reject(error);
  };

  const listen = (port: number | undefined, first: boolean): Deno.HttpServer<Deno.NetAddr> => {
    const startedAt = Date.now();
    const server = Deno.serve({ ...serveOptions, port, onListen: first ? onListen : () => {} } as Deno.ServeTcpOptions, handler);
    servers.add(server);
    server.finished.then(
      // Only a listener still accepting finishes well: it was shut down (`signal`), so the server is done.
      () => {
        servers.delete(server);
        if (timer === undefined) stop();
      },
      (error: unknown) => {
        if (stopped || !outOfDescriptors(error)) return stop(error);
        // This listener is gone, but its connections are still served: it stays in `servers` for `shutdown`.
        if (Date.now() - startedAt > CALM_MS) delay = relistenDelayMs;
        console.error(
          `roomwire: Deno stopped accepting connections on port ${server.addr.port}: the process ran out of file descriptors. Listening again in ${delay} ms. ` +
            "Requests that never finish their headers hold a descriptor until the client closes them (Deno has no header timeout): raise the open-file limit (ulimit -n), or put a proxy with a header timeout in front.",
        );
        relistenSoon(server.addr.port);
      },
    );
    return server;
  };

  const relistenSoon = (port: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      if (stopped) return;
      try {
        listen(port, false);
        console.error(`roomwire: listening again on port ${port}.`);
      } catch (error) {
        if (!outOfDescriptors(error)) return stop(error);
        relistenSoon(port);
      }
    }, delay);
    delay = Math.min(delay * 2, MAX_RELISTEN_DELAY_MS);
  };

  const first = listen(serveOptions.port, true);
  serveOptions.signal?.addEventListener("abort", () => stop(), { once: true });
  return {
    addr: first.addr,
    finished,
    async shutdown() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...servers].map((server) => server.shutdown()));
      resolve();
    },
  };
}

/** Deno's error when `accept` (or `listen`) finds no free file descriptor: EMFILE for the process, ENFILE for the system. */
function outOfDescriptors(error: unknown): boolean {
  return error instanceof Error && /Too many open files|\(os error 2[34]\)/.test(error.message);
}
