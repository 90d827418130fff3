/**
 * The last builds of each Dockerfile, step by step as they were keyed, kept in the store so the
 * next build can say why a step was not cached (explain.ts). Five per Dockerfile; older go.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DigestInput } from '../context/hash.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';

/** One step of a build as it was keyed: what `--explain` compares against the previous build. */
export interface StepRecord {
  /** `stage-0`, `build`: with `index`, how a step is matched across builds. */
  stage: string;
  /** 0 for FROM, then 1… for the steps (ONBUILD triggers included). */
  index: number;
  line: number;
  text: string;
  key: string;
  parent: string;
  /** The expanded instruction (its canonical JSON), for telling an edited line. */
  instruction: string;
  /** Variable names with a hash of their value: which build arg or env changed, never the value. */
  env: Record<string, string>;
  /** FROM: the base image's manifest digest (or `scratch`, or the parent stage). */
  base?: string;
  /** COPY/ADD/bind mounts: the context files read. */
  files?: DigestInput[];
  /** Digests of other inputs (downloads, `--from` stages). */
  content?: string[];
  cached: boolean;
}

export interface BuildRecord {
  version: 1;
  /** The Dockerfile's absolute path: builds of the same file are compared. */
  dockerfile: string;
  target: string;
  platform: string;
  /** RFC 3339. */
  time: string;
  steps: StepRecord[];
}

const KEEP = 5;

function dirOf(store: Store, dockerfile: string): string {
  return join(store.paths.root, 'cache', 'builds', createHash('sha256').update(dockerfile).digest('hex'));
}

/** The newest record of a build of `dockerfile` for `platform`, if any. */
export async function previousBuild(store: Store, dockerfile: string, platform: string): Promise<BuildRecord | undefined> {
  const dir = dirOf(store, dockerfile);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort().reverse();
  for (const name of names) {
    try {
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as BuildRecord;
      if (record.version === 1 && record.platform === platform && Array.isArray(record.steps)) return record;
    } catch {
      // A damaged record explains nothing; try an older one.
    }
  }
  return undefined;
}

export async function saveBuild(store: Store, record: BuildRecord): Promise<void> {
  const dir = dirOf(store, record.dockerfile);
  await mkdir(dir, { recursive: true });
  // Sortable names: the time, then a random part so two builds in one millisecond both stay.
  const name = `${record.time.replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}.json`;
  await writeFileAtomic(join(dir, name), JSON.stringify(record), store.paths.tmp);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  for (const old of names.slice(0, Math.max(0, names.length - KEEP))) await rm(join(dir, old), { force: true });
}
