/**
 * Inter-process locks on the store (index.json updates, snapshot creation, prune).
 *
 * Why not proper-lockfile: it judges a lock stale only by age, so a lock left by a killed
 * process blocks every other process for its whole stale period (at least 2 s, 10 s by
 * default), and a holder busy longer than that period loses its lock. Here a lock file names
 * its owner (see owner.ts): when that process is dead the lock is broken at once, and a live
 * holder keeps it however long it works. Only owners this process cannot see (another host or
 * PID namespace) fall back to age, refreshed by a heartbeat while held.
 *
 * A lock is `locks/<name>.lock`, created with link(2) from a temp file, so it appears
 * atomically with its owner inside. Breaking a stale lock happens under a second lock
 * (`<name>.lock.break`) and only if the file still names the dead owner, so two processes
 * breaking at once cannot remove a fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempPath } from './atomic.js';
import { LockTimeoutError } from './errors.js';
import { currentOwner, ownerState } from './owner.js';

export interface LockOptions {
  /** Give up after this long waiting for a live holder (default: wait as long as it works). */
  timeoutMs?: number;
  /** Age after which a lock whose owner cannot be checked is taken as abandoned. */
  staleMs?: number;
}

/** A break gate is held for microseconds; one older than this was left by a killed breaker. */
const GATE_STALE_MS = 10_000;

export class Locks {
  private readonly dir: string;
  private readonly tmpDir: string;
  private readonly timeoutMs: number;
  private readonly staleMs: number;

  /** `tmpDir` must be on the same filesystem as `dir` (link(2) does not cross filesystems). */
  constructor(dir: string, tmpDir: string, options: LockOptions = {}) {
    this.dir = dir;
    this.tmpDir = tmpDir;
    this.timeoutMs = options.timeoutMs ?? Infinity;
    this.staleMs = options.staleMs ?? 30_000;
  }

  /** Runs `fn` holding lock `name` (a file-name-safe word). */
  async with<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(name);
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  async acquire(name: string): Promise<() => Promise<void>> {
    const path = join(this.dir, `${name}.lock`);
    const content = `${currentOwner().token} ${randomBytes(8).toString('hex')}\n`;
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (await this.tryCreate(path, content)) return this.holding(path, content);
      await this.breakIfStale(path);
      if (Date.now() > deadline) {
        const holder = await readHolder(path);
        throw new LockTimeoutError(`timed out after ${this.timeoutMs} ms waiting for lock ${path}${holder ? ` held by ${holder}` : ''}`);
      }
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 5), 100));
    }
  }

  private async tryCreate(path: string, content: string): Promise<boolean> {
    const tmp = tempPath(this.tmpDir, 'lock');
    await writeFile(tmp, content, { flag: 'wx' });
    try {
      await link(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private holding(path: string, content: string): () => Promise<void> {
    const beat = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, Math.max(this.staleMs / 4, 250));
    beat.unref();
    return async () => {
      clearInterval(beat);
      // A lock broken by another host as abandoned is no longer ours to remove.
      if ((await readFile(path, 'utf8').catch(() => '')) === content) await rm(path, { force: true });
    };
  }

  private async breakIfStale(path: string): Promise<void> {
    const holder = await readHolder(path);
    if (holder === undefined) return;
    if (!(await this.isAbandoned(path, holder))) return;
    const gate = `${path}.break`;
    const gateContent = `${currentOwner().token} ${randomBytes(8).toString('hex')}\n`;
    if (!(await this.tryCreate(gate, gateContent))) {
      const age = await ageOf(gate);
      if (age !== undefined && age > GATE_STALE_MS) await rm(gate, { force: true });
      return;
    }
    try {
      if ((await readHolder(path)) === holder) await rm(path, { force: true });
    } finally {
      await rm(gate, { force: true });
    }
  }

  private async isAbandoned(path: string, holder: string): Promise<boolean> {
    const state = ownerState(holder.split(' ')[0]!);
    if (state === 'dead') return true;
    if (state === 'alive') return false;
    const age = await ageOf(path);
    return age !== undefined && age > this.staleMs;
  }
}

async function readHolder(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function ageOf(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
