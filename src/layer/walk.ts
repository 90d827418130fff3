/**
 * The deterministic walk behind every layer: depth first, parents before children, siblings in
 * byte order of their UTF-8 names (the order of Go's filepath.Walk, which Docker and BuildKit
 * use). Symlinks are reported, never followed. Memory holds one directory listing per level.
 */
import { lstatSync, type BigIntStats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { LayerError } from '../errors.js';

export interface WalkEntry {
  /** Relative to the walk root, '/'-separated, no trailing slash. */
  rel: string;
  abs: string;
  stat: BigIntStats;
}

function decodeName(raw: Buffer, dir: string): string {
  const name = raw.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(raw)) {
    throw new LayerError(`file name is not valid UTF-8 in ${dir}: ${JSON.stringify(raw.toString('latin1'))}`);
  }
  return name;
}

export async function* walk(root: string): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, '');
}

async function* walkDir(abs: string, rel: string): AsyncGenerator<WalkEntry> {
  const raw = await readdir(abs, { encoding: 'buffer' });
  raw.sort(Buffer.compare);
  for (const name of raw.map((n) => decodeName(n, abs))) {
    const childRel = rel ? `${rel}/${name}` : name;
    const childAbs = `${abs}/${name}`;
    // Synchronous: the trees walked were just written or extracted, their inodes are cached, and
    // an lstat then takes microseconds, less than a trip through libuv's pool.
    const stat = lstatSync(childAbs, { bigint: true });
    yield { rel: childRel, abs: childAbs, stat };
    if (stat.isDirectory()) yield* walkDir(childAbs, childRel);
  }
}

/** Linux's encoding of dev_t (glibc's gnu_dev_major/gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}
