/**
 * `lns --metrics`: an HTTP server (node:http) that answers `GET /metrics` with the text of a
 * metrics registry (l2tp-core/metrics over prom-client), and loading that subpath, which fails
 * with a message naming prom-client when the optional peer dependency is not installed.
 * Not here: which metrics (src/metrics), option parsing (run.ts).
 */
import { createServer, type Server } from 'node:http';
import type * as MetricsModule from '../metrics/index.js';

/** What the server needs of a prom-client Registry. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** A listening metrics server. */
export interface MetricsServer {
  /** `http://127.0.0.1:9101/metrics` (the port actually bound, also for port 0). */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** Loads l2tp-core/metrics; @throws Error naming prom-client when it is not installed. */
export async function loadMetrics(): Promise<typeof MetricsModule> {
  try {
    return await import('../metrics/index.js');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes("'prom-client'")) {
      throw new Error(
        '--metrics needs prom-client, an optional peer dependency of l2tp-core: ' +
          'npm install prom-client (next to l2tp-core; -g for a global install)',
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Serves `source` on `http://address:port/metrics` (GET and HEAD; other paths 404, other
 * methods 405). Resolves once listening. @throws the listen error (EADDRINUSE…).
 */
export async function serveMetrics(
  source: MetricsSource,
  bind: { readonly address: string; readonly port: number },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    source.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': source.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${(err as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const local = server.address();
  const port = typeof local === 'object' && local !== null ? local.port : bind.port;
  const host = bind.address.includes(':') ? `[${bind.address}]` : bind.address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
