/**
 * The "cloud storage" a registry redirects blob GETs to: a loopback HTTP server serving files
 * under a root set once the registry's storage directory is known, and recording what each
 * request carried (a registry's Authorization must never reach it).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface BlobHost {
  url: string;
  /** The directory served (the registry's storage root): set before the first request. */
  root: string | undefined;
  requests: { path: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

export async function startBlobHost(): Promise<BlobHost> {
  const host: BlobHost = { url: '', root: undefined, requests: [], stop: async () => undefined };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    host.requests.push({ path, authorization: req.headers.authorization });
    // normalize() turns `..` away from the root: only files under it are served.
    const file = host.root === undefined || path.includes('..') ? undefined : join(host.root, normalize(path));
    const fail = (): void => {
      res.writeHead(404);
      res.end();
    };
    if (file === undefined || req.method !== 'GET') return fail();
    stat(file).then(
      (s) => {
        if (!s.isFile()) return fail();
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': s.size });
        createReadStream(file).pipe(res);
      },
      fail,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return host;
}
