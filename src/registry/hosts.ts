/**
 * Which URLs serve a registry, and how to connect to them: Docker Hub is registry-1.docker.io
 * (after any configured mirrors, for pulls); HTTPS always, plus a plain-HTTP fallback only for
 * loopback hosts and hosts listed in `insecure-registries` (Docker's rules); TLS material from
 * certs.d (`ca.crt` and other `*.crt` CAs, `client.cert` + `client.key`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { DEFAULT_DOMAIN } from '../image/reference.js';
import type { RegistryConfig } from './config.js';

export const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';

export interface TlsSettings {
  /** CAs to trust in addition to the system's (PEM). */
  ca?: string[];
  cert?: string;
  key?: string;
  /** False for insecure registries without a configured CA (Docker skips verification there). */
  verify: boolean;
}

export interface Endpoint {
  /** The API base without `/v2`: `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  url: string;
  /** Whether this is a Docker Hub mirror (used for pulls only; on failure the next endpoint is tried). */
  mirror: boolean;
  tls: TlsSettings | undefined;
}

/**
 * The endpoints to try for `registry`, in order. `access: 'push'` leaves mirrors out.
 * `hub` is where docker.io itself is served: a seam so tests can put Docker Hub (and so the
 * mirror rules, which apply to docker.io only) on a loopback registry.
 */
export async function endpointsFor(
  registry: string,
  config: RegistryConfig,
  certsBases: readonly string[],
  access: 'pull' | 'push' = 'pull',
  hub: string = DOCKER_HUB_ENDPOINT,
): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  if (registry === DEFAULT_DOMAIN && access === 'pull') {
    for (const mirror of config.mirrors) {
      const url = new URL(mirror);
      const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
      out.push({ url: base, mirror: true, tls: url.protocol === 'https:' ? await tlsFor(url.host, config, certsBases) : undefined });
    }
  }
  if (registry === DEFAULT_DOMAIN) {
    const url = new URL(hub);
    const tls = url.protocol === 'https:' ? await tlsFor(url.host, config, certsBases, [DEFAULT_DOMAIN]) : undefined;
    out.push({ url: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`, mirror: false, tls });
    return out;
  }
  out.push({ url: `https://${registry}`, mirror: false, tls: await tlsFor(registry, config, certsBases) });
  if (isInsecure(registry, config.insecure)) out.push({ url: `http://${registry}`, mirror: false, tls: undefined });
  return out;
}

/** Loopback (`localhost`, 127.0.0.0/8, ::1) or listed as insecure by host, host:port or CIDR. */
export function isInsecure(registry: string, insecure: readonly string[]): boolean {
  const host = hostOf(registry);
  if (host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))) return true;
  for (const entry of insecure) {
    const e = entry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    if (e === registry || e === host) return true;
    if (e.includes('/') && isIP(host) === 4 && inCidr(host, e)) return true;
  }
  return false;
}

/** `host:port` → host, `[::1]:5000` → `::1`. */
export function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon < 0 ? registry : registry.slice(0, colon);
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (net === undefined || isIP(net) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return (toInt(ip) & mask) >>> 0 === (toInt(net) & mask) >>> 0;
}

/** certs.d material for a host; verification off for insecure hosts that configure no CA. */
async function tlsFor(host: string, config: RegistryConfig, certsBases: readonly string[], aliases: readonly string[] = []): Promise<TlsSettings> {
  const settings: TlsSettings = { verify: true };
  const cas: string[] = [];
  for (const base of certsBases) {
    for (const name of [host, ...aliases]) {
      const dir = join(base, name);
      let files: string[];
      try {
        files = (await readdir(dir)).sort();
      } catch {
        continue;
      }
      for (const f of files) {
        if (f.endsWith('.crt')) cas.push(await readFile(join(dir, f), 'utf8'));
        if (f.endsWith('.cert') && settings.cert === undefined) {
          const keyFile = `${f.slice(0, -'.cert'.length)}.key`;
          if (files.includes(keyFile)) {
            settings.cert = await readFile(join(dir, f), 'utf8');
            settings.key = await readFile(join(dir, keyFile), 'utf8');
          }
        }
      }
    }
  }
  if (cas.length > 0) settings.ca = cas;
  else if (isInsecure(host, config.insecure)) settings.verify = false;
  return settings;
}

/** undici `connect` options: custom CAs are added to the system roots, not put in their place. */
export function connectOptions(tls: TlsSettings | undefined): Record<string, unknown> {
  if (!tls) return {};
  return {
    ...(tls.ca && { ca: [...rootCertificates, ...tls.ca] }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
    rejectUnauthorized: tls.verify,
  };
}
