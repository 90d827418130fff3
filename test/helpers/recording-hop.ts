/**
 * "Another host" for redirect tests: an HTTP server on 127.0.0.1, addressed as `localhost`
 * (another origin than the registry's 127.0.0.1), standing in for the blob storage a registry
 * redirects to. It records every request's headers and serves GETs with the bytes `fetch`
 * returns for the path (404 when it returns undefined).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface RecordingHop {
  /** `http://localhost:PORT`. */
  url: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingHop(fetch: (path: string) => Promise<Buffer | undefined>): Promise<RecordingHop> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } });
    req.resume();
    const answer = async (): Promise<void> => {
      const bytes = req.method === 'GET' ? await fetch(req.url ?? '/') : undefined;
      if (bytes === undefined) {
        res.writeHead(404, { 'content-length': '0' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) });
      res.end(bytes);
    };
    answer().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
