/**
 * Leases: what a live process is using but has not tagged yet (a blob it just wrote, a
 * snapshot it is about to mount). Prune keeps everything leased by a running process, so a
 * build that has written its layers but not yet its tag loses nothing to a concurrent prune.
 *
 * Each open store appends digests to `locks/leases/<owner token>.<random>`, one per line, before it makes
 * a blob visible or trusts that one exists; prune reads the leases after listing what it
 * might delete and again after moving it aside (see gc.ts), which closes the race. A lease
 * file needs no fsync: it matters only while its process runs.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../image/digest.js';
import { currentOwner, ownerState } from './owner.js';

/** A lease of an owner this host cannot check (another machine or PID namespace) expires when untouched this long. */
const FOREIGN_LEASE_MS = 24 * 3600 * 1000;

export class Leases {
  private readonly dir: string;
  /** One file per open store, so closing one store of a process keeps another's lease. */
  private readonly file: string;
  private readonly held = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, `${currentOwner().token}.${randomBytes(4).toString('hex')}`);
  }

  /** Records that this process relies on `digests` until it ends (or releases them all). */
  async add(...digests: readonly Digest[]): Promise<void> {
    const fresh = digests.filter((d) => !this.held.has(d));
    if (fresh.length === 0) return;
    await appendFile(this.file, fresh.map((d) => `${d}\n`).join(''));
    for (const d of fresh) this.held.add(d);
  }

  /** Drops this store's lease (it is closed). */
  async releaseAll(): Promise<void> {
    this.held.clear();
    await rm(this.file, { force: true });
  }

  /** Every digest leased by a process that may still run; removes leases of dead processes. */
  async live(): Promise<Set<string>> {
    const out = new Set<string>();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      const state = ownerState(name.split('.')[0]!);
      if (state === 'dead' || (state === 'unknown' && (await ageOf(join(this.dir, name))) > FOREIGN_LEASE_MS)) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      const text = await readFile(join(this.dir, name), 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (isDigest(line)) out.add(line);
    }
    return out;
  }
}

async function ageOf(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}
