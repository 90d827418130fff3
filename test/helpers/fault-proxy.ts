/**
 * An HTTP proxy on 127.0.0.1 in front of a test registry that misbehaves on cue: per request
 * pattern it can answer a status (500, 429 with Retry-After), cut the connection after N bytes
 * of the request or response body, stall before forwarding, or redirect to another host. It
 * logs every request, so tests can count what a client actually sent (HEADs, POSTs, PUTs of blobs).
 *
 * The Host header is forwarded unchanged, so the registry's upload Locations point back at the
 * proxy and the whole upload passes through it.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset-request'; afterBytes: number }
  /** With `afterBytes: 0` the connection is cut before the status line: the client never learns the answer. */
  | { kind: 'reset-response'; afterBytes: number }
  | { kind: 'stall'; ms: number }
  /**
   * Answers `status` (default 307) with `Location: <to><path and query>` instead of forwarding,
   * as a registry sending blob GETs to its storage (another host) does.
   */
  | { kind: 'redirect'; to: string; status?: number };

export interface FaultRule {
  method?: string;
  /** Matched against the path with its query (`/v2/x/blobs/uploads/…?digest=…`). */
  path?: RegExp;
  /**
   * How many matching requests get the fault (default 1; Infinity for all). A cut after N bytes
   * counts only when it happened: a shorter body passes and the rule waits for the next match.
   */
  times?: number;
  /** Matching requests let through untouched before the fault applies (default 0): "the second PATCH". */
  skip?: number;
  fault: Fault;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** The status the client saw, or 'reset'. */
  outcome: string;
  /** The fault that took effect on this request (a cut counts only once it happened). */
  fault?: Fault['kind'];
  /** Whether the request carried an Authorization header. */
  authorized: boolean;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`. */
  host: string;
  log: LoggedRequest[];
  add(rule: FaultRule): void;
  clear(): void;
  /** Logged requests matching a method and path pattern. */
  count(method: string, path?: RegExp): number;
  /** Requests a fault took effect on, since the last clear(). */
  injected(): number;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  if (upHost !== '127.0.0.1') throw new Error(`the fault proxy forwards to 127.0.0.1 only, not ${upstream}`);
  const rules: (FaultRule & { left: number; toSkip: number })[] = [];
  const log: LoggedRequest[] = [];

  const take = (req: IncomingMessage): { fault: Fault; unused: () => void } | undefined => {
    for (const r of rules) {
      if (r.left <= 0) continue;
      if (r.method !== undefined && r.method !== req.method) continue;
      if (r.path !== undefined && !r.path.test(req.url ?? '')) continue;
      if (r.toSkip > 0) {
        r.toSkip--;
        continue;
      }
      r.left--;
      return { fault: r.fault, unused: () => void r.left++ };
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, fault: Fault | undefined, unused: () => void = () => {}): void => {
    const up = httpRequest({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers });
    up.on('response', (upRes) => {
      entry.outcome = String(upRes.statusCode);
      if (fault?.kind === 'reset-response' && fault.afterBytes === 0) {
        // The registry has done the work (a blob stored, a manifest tagged), the client never hears of it.
        entry.outcome = 'reset';
        entry.fault = fault.kind;
        upRes.resume();
        res.socket?.destroy();
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (fault?.kind !== 'reset-response') {
        upRes.pipe(res);
        return;
      }
      let seen = 0;
      upRes.on('data', (chunk: Buffer) => {
        const room = fault.afterBytes - seen;
        seen += chunk.length;
        if (room > 0) res.write(chunk.subarray(0, room));
        if (seen >= fault.afterBytes) {
          entry.outcome = 'reset';
          entry.fault = fault.kind;
          upRes.destroy();
          res.socket?.destroy();
        }
      });
      upRes.on('end', () => {
        // A body shorter than the cut-off went through untouched: the rule waits for the next match.
        if (seen < fault.afterBytes) unused();
        res.end();
      });
    });
    up.on('error', () => {
      if (entry.outcome === '') entry.outcome = 'upstream-error';
      res.socket?.destroy();
    });
    if (fault?.kind !== 'reset-request') {
      req.pipe(up);
      return;
    }
    let seen = 0;
    let cut = false;
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      const room = fault.afterBytes - seen;
      seen += chunk.length;
      if (seen < fault.afterBytes) {
        up.write(chunk);
        return;
      }
      cut = true;
      entry.outcome = 'reset';
      entry.fault = fault.kind;
      req.pause();
      // The bytes before the cut reach the registry first (as they would before a real network
      // fault), so what it holds afterwards is exactly `afterBytes`: tests can rely on it.
      up.write(chunk.subarray(0, room), () => {
        // Both sides see a broken connection, as with a real network fault.
        up.destroy();
        req.socket.destroy();
      });
    });
    req.on('end', () => {
      if (seen < fault.afterBytes) unused();
      up.end();
    });
  };

  const server: Server = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? '', path: req.url ?? '', outcome: '', authorized: req.headers.authorization !== undefined };
    log.push(entry);
    const taken = take(req);
    const fault = taken?.fault;
    if (fault?.kind === 'status' || fault?.kind === 'redirect' || fault?.kind === 'stall') entry.fault = fault.kind;
    if (fault?.kind === 'status') {
      // Read the body first: answering before it is consumed would make the client see a reset instead.
      req.resume();
      req.on('end', () => {
        entry.outcome = String(fault.status);
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] }));
      });
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      req.on('end', () => {
        const status = fault.status ?? 307;
        entry.outcome = String(status);
        res.writeHead(status, { location: `${fault.to}${req.url ?? '/'}`, 'content-length': '0' });
        res.end();
      });
      return;
    }
    if (fault?.kind === 'stall') {
      void sleep(fault.ms).then(() => forward(req, res, entry, undefined));
      return;
    }
    forward(req, res, entry, fault, taken?.unused);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    host: `127.0.0.1:${port}`,
    log,
    add: (rule) => rules.push({ ...rule, left: rule.times ?? 1, toSkip: rule.skip ?? 0 }),
    clear: () => {
      rules.length = 0;
      log.length = 0;
    },
    count: (method, path) => log.filter((e) => e.method === method && (path === undefined || path.test(e.path))).length,
    injected: () => log.filter((e) => e.fault !== undefined).length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
