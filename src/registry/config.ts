/**
 * Where hull's registry settings come from: hull's config file (`$HULL_CONFIG`, else
 * `~/.config/hull/config.json`) and Docker's `/etc/docker/daemon.json` when present, both
 * with Docker's keys `registry-mirrors` and `insecure-registries`, merged (hull's first).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { RegistryError } from '../errors.js';

export interface RegistryConfig {
  /** Docker Hub mirrors, tried in order before registry-1.docker.io (URLs). */
  mirrors: string[];
  /** Hosts (`host`, `host:port`) or CIDRs (`10.0.0.0/8`) that may be reached without verified TLS. */
  insecure: string[];
}

export const DOCKER_DAEMON_JSON = '/etc/docker/daemon.json';

/** hull's config file. */
export function hullConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.HULL_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'hull', 'config.json');
}

/**
 * The certs.d base directories, searched in order for `HOST[:PORT]/`: `$HULL_CERTS_D`
 * (a `:`-separated list) replaces the default `/etc/docker/certs.d` and hull's `certs.d/`.
 */
export function certsDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.HULL_CERTS_D !== undefined) return env.HULL_CERTS_D.split(':').filter((d) => d !== '');
  return ['/etc/docker/certs.d', join(dirname(hullConfigPath(env)), 'certs.d')];
}

/** Reads both files; a missing file is no setting, a malformed one is an error naming it. */
export async function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): Promise<RegistryConfig> {
  const files = [hullConfigPath(env), env.HULL_DOCKER_DAEMON_JSON ?? DOCKER_DAEMON_JSON];
  const config: RegistryConfig = { mirrors: [], insecure: [] };
  for (const file of files) {
    const doc = await readJsonIfPresent(file);
    if (doc === undefined) continue;
    config.mirrors.push(...stringList(doc, 'registry-mirrors', file));
    config.insecure.push(...stringList(doc, 'insecure-registries', file));
  }
  return { mirrors: [...new Set(config.mirrors)], insecure: [...new Set(config.insecure)] };
}

export async function readJsonIfPresent(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new RegistryError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryError(`${file} must hold a JSON object`);
  return doc as Record<string, unknown>;
}

function stringList(doc: Record<string, unknown>, key: string, file: string): string[] {
  const value = doc[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new RegistryError(`${file}: "${key}" must be a list of strings`);
  return value as string[];
}
