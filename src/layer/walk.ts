/**
 * The deterministic walk behind every layer: depth first, parents before children, siblings in
 * byte order of their UTF-8 names (the order of Go's filepath.Walk, which Docker and BuildKit
 * use). Symlinks are reported, never followed. Memory holds one directory listing per level.
 */
import { lstat, type BigIntStats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { LayerError } from '../errors.js';

export interface WalkEntry {
  /** Relative to the walk root, '/'-separated, no trailing slash. */
  rel: string;
  abs: string;
  stat: BigIntStats;
}

/** lstat calls in flight per directory: enough to hide latency, bounded for huge directories. */
const STAT_BATCH = 64;

function decodeName(raw: Buffer, dir: string): string {
  const name = raw.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(raw)) {
    throw new LayerError(`file name is not valid UTF-8 in ${dir}: ${JSON.stringify(raw.toString('latin1'))}`);
  }
  return name;
}

/** Callback lstat: lighter on the main thread than fs/promises for thousands of calls. */
function lstatBig(path: string): Promise<BigIntStats> {
  return new Promise((resolve, reject) => lstat(path, { bigint: true }, (err, st) => (err ? reject(err) : resolve(st))));
}

export async function* walk(root: string): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, '');
}

async function* walkDir(abs: string, rel: string): AsyncGenerator<WalkEntry> {
  const raw = await readdir(abs, { encoding: 'buffer' });
  raw.sort(Buffer.compare);
  const names = raw.map((n) => decodeName(n, abs));
  for (let i = 0; i < names.length; i += STAT_BATCH) {
    const batch = names.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((n) => lstatBig(`${abs}/${n}`)));
    for (let j = 0; j < batch.length; j++) {
      const childRel = rel ? `${rel}/${batch[j]}` : batch[j]!;
      const childAbs = `${abs}/${batch[j]}`;
      const stat = stats[j]!;
      yield { rel: childRel, abs: childAbs, stat };
      if (stat.isDirectory()) yield* walkDir(childAbs, childRel);
    }
  }
}

/** Linux's encoding of dev_t (glibc's gnu_dev_major/gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}
