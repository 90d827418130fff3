/**
 * Running `hull build` as its own process (bin/hull, from dist/) for the reliability tests, killing
 * it, and checking what it left: mounts under the store, containers of a hull process, the temp
 * area, and the store's consistency read from disk, without opening a Store (opening one cleans
 * tmp/ and would hide what a build left behind).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { REF_NAME_ANNOTATION } from '../../src/store/layout.js';
import { runCli } from './cli.js';
import { repoRoot } from './paths.js';
import { mulberry32, type Rng } from './random.js';
import { exited } from './spawn.js';

export interface HullExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  ms: number;
}

export interface RunningHull {
  child: ChildProcess;
  /** What it printed so far. */
  output(): string;
  /** Milliseconds from the start to the first output matching `pattern` (undefined if it exits first). */
  reached(pattern: RegExp): Promise<number | undefined>;
  done: Promise<HullExit>;
}

/**
 * Starts bin/hull in its own process group (`detached`), so that killGroup reaches the OCI runtime
 * and everything else it started in that group.
 */
export function startHull(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningHull {
  const started = Date.now();
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'hull'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  });
  let output = '';
  const waiting = new Set<{ pattern: RegExp; resolve: (ms: number) => void }>();
  for (const stream of [child.stdout, child.stderr]) {
    stream!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of waiting) {
        if (!waiter.pattern.test(output)) continue;
        waiting.delete(waiter);
        waiter.resolve(Date.now() - started);
      }
    });
  }
  const done = exited(child).then(({ code, signal }) => ({ code, signal, output, ms: Date.now() - started }));
  const reached = (pattern: RegExp): Promise<number | undefined> =>
    pattern.test(output) ? Promise.resolve(Date.now() - started) : Promise.race([new Promise<number>((resolve) => waiting.add({ pattern, resolve })), done.then(() => undefined)]);
  return { child, output: () => output, reached, done };
}

/** Runs bin/hull to its end. */
export function hull(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<HullExit> {
  return startHull(args, env).done;
}

/** SIGKILL to the whole process group of a startHull child (a no-op once it is gone). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** The seed of a randomized test: HULL_KILL_SEED when set, else a fresh one (print it, to replay a failure). */
export function killSeed(): { seed: number; rng: Rng } {
  const given = process.env.HULL_KILL_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  return { seed, rng: mulberry32(seed) };
}

/** A positive integer from the environment, else `fallback`. */
export function envCount(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Mount points at or below `dir` in this mount namespace. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/** Containers the OCI runtime knows that a hull process with this pid made. */
export function containersOf(pid: number, runtime = 'runc'): string[] {
  const listed = execFileSync(runtime, ['list', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  // A container whose creation was cut short is not listed; its state dir stays in /run/<runtime>.
  const stateDirs = existsSync(`/run/${runtime}`) ? readdirSync(`/run/${runtime}`) : [];
  return [...new Set([...listed, ...stateDirs])].filter((id) => id.startsWith(`hull-${pid}-`));
}

/** The tags of a store's index.json (full reference → manifest digest). */
export async function storeTags(root: string): Promise<Map<string, string>> {
  const index = JSON.parse(await readFile(join(root, 'oci', 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  assert.ok(Array.isArray(index.manifests), 'index.json lists manifests');
  const tags = new Map<string, string>();
  for (const entry of index.manifests) {
    const name = entry.annotations?.[REF_NAME_ANNOTATION];
    if (name !== undefined) tags.set(name, entry.digest);
  }
  return tags;
}

/** The manifest digest a registry serves for `reference` (HOST/REPO:TAG, plain HTTP). */
export async function registryDigest(reference: string): Promise<string | undefined> {
  const slash = reference.indexOf('/');
  const colon = reference.lastIndexOf(':');
  const res = await fetch(`http://${reference.slice(0, slash)}/v2/${reference.slice(slash + 1, colon)}/manifests/${reference.slice(colon + 1)}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' },
  });
  return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * The store as a later process finds it: every blob hashes to its name (each one read whole),
 * index.json parses and every tagged manifest's config and layers are there, tmp/ is empty
 * (no hull process runs on it any more), nothing is mounted under it, and `hull images` works.
 */
export async function assertStoreConsistent(root: string): Promise<void> {
  const blobs = join(root, 'oci', 'blobs', 'sha256');
  const names = await readdir(blobs);
  for (const name of names) {
    assert.match(name, /^[0-9a-f]{64}$/, `only blobs named by their digest in ${blobs}`);
    assert.equal(await sha256Of(join(blobs, name)), name, `blob ${name} holds what its name says`);
  }
  const present = new Set(names.map((n) => `sha256:${n}`));
  for (const [reference, digest] of await storeTags(root)) {
    assert.ok(present.has(digest), `the manifest of ${reference} is stored`);
    const manifest = JSON.parse(await readFile(join(blobs, digest.slice('sha256:'.length)), 'utf8')) as { config?: { digest: string }; layers?: { digest: string }[] };
    for (const needed of [manifest.config, ...(manifest.layers ?? [])]) {
      if (needed !== undefined) assert.ok(present.has(needed.digest), `${needed.digest} of ${reference} is stored`);
    }
  }
  assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp leftovers');
  assert.deepEqual(await mountsUnder(root), [], 'nothing mounted under the store');
  const images = await runCli(['images', '--root', root]);
  assert.equal(images.code, 0, images.err);
}
