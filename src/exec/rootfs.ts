/**
 * The container's root filesystem, from one of two snapshotters:
 *
 * - `overlay`: an overlayfs with the parent layers' snapshot directories as lowerdirs (top layer
 *   first) and a fresh upper dir that collects exactly what the step changed. `redirect_dir` and
 *   `metacopy` are off because the layer writer reads the upper dir as a plain diff: with them on,
 *   a renamed directory or a chmod would be stored as xattr pointers into the lowers, which a tar
 *   cannot express.
 * - `copy` (copy-rootfs.ts): the lowers copied into a plain directory and compared afterwards,
 *   for hosts where overlayfs cannot be mounted. Slower, same upper dir.
 *
 * `auto` takes overlay where one test mount works (probeSnapshotter), else copy.
 */
import { mkdir, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExecError, UsageError } from '../errors.js';
import { tempPath } from '../store/atomic.js';
import { registerCleanup } from './cleanup.js';
import { copyRootfs } from './copy-rootfs.js';
import { cachedProbe, directoryFingerprint, rememberProbe } from './probe-cache.js';
import { runTool, runToolSync } from './proc.js';

export type Snapshotter = 'overlay' | 'copy';

export interface RootfsOptions {
  /** `auto` (the default) is overlay where it can be mounted, else copy; HULL_SNAPSHOTTER=overlay|copy|auto overrides it. */
  snapshotter?: Snapshotter | 'auto';
}

export interface MountedRootfs {
  /** The temp directory holding upper/, merged/ (work/ for overlay), and whatever the caller puts beside them. */
  dir: string;
  upper: string;
  merged: string;
  /** Which snapshotter made it, for the build to report. */
  snapshotter: Snapshotter;
  /** Unmounts the overlay, or writes the copy's changes into `upper`; the upper dir stays (the caller turns it into a layer). Idempotent. */
  unmount(): Promise<void>;
  /** Unmounts if needed and removes the temp directory. Idempotent. */
  remove(): Promise<void>;
}

/**
 * Builds the rootfs of `lowers` (top layer first; empty for FROM scratch) under a new directory
 * `dir`, which must not exist yet. On failure nothing is left mounted and `dir` is removed.
 */
export async function mountRootfs(dir: string, lowers: readonly string[], options: RootfsOptions = {}): Promise<MountedRootfs> {
  const wanted = options.snapshotter !== undefined && options.snapshotter !== 'auto' ? options.snapshotter : snapshotterFromEnv();
  if (wanted === 'copy' || (wanted === 'auto' && (await probeSnapshotter(dirname(dir))) === 'copy')) return copyRootfs(dir, lowers);
  const attempt = await mountOverlay(dir, lowers);
  if ('rootfs' in attempt) return attempt.rootfs;
  if (wanted === 'overlay') {
    throw new ExecError(
      `overlay unavailable: ${attempt.unavailable}; RUN needs root (or a kernel allowing overlayfs here) and a filesystem that supports it as upper dir, ` +
        'or the slower copy snapshotter (HULL_SNAPSHOTTER=copy)',
    );
  }
  return copyRootfs(dir, lowers);
}

function snapshotterFromEnv(): Snapshotter | 'auto' {
  const value = process.env['HULL_SNAPSHOTTER'];
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'overlay' || value === 'copy') return value;
  throw new UsageError(`HULL_SNAPSHOTTER=${value}: expected overlay, copy or auto`);
}

const probes = new Map<string, Promise<Snapshotter>>();

/**
 * The snapshotter mountRootfs picks by default for rootfs dirs in `scratch`: HULL_SNAPSHOTTER if
 * set, else overlay if a test mount in `scratch` works (tried once per scratch dir), else copy.
 */
export function probeSnapshotter(scratch: string): Promise<Snapshotter> {
  const forced = snapshotterFromEnv();
  if (forced !== 'auto') return Promise.resolve(forced);
  const key = resolve(scratch);
  let probe = probes.get(key);
  if (probe === undefined) {
    probe = probeOverlay(key);
    probes.set(key, probe);
    // A probe that could not even run (scratch not writable) says nothing about overlayfs: try again next time.
    probe.catch(() => probes.delete(key));
  }
  return probe;
}

async function probeOverlay(scratch: string): Promise<Snapshotter> {
  await mkdir(scratch, { recursive: true });
  const fingerprint = await directoryFingerprint(scratch);
  if ((await cachedProbe(fingerprint)) === 'overlay') return 'overlay';
  const attempt = await mountOverlay(tempPath(scratch, 'probe'), []);
  if (!('rootfs' in attempt)) return 'copy';
  await attempt.rootfs.remove();
  // Only a mount that worked is remembered: a failure may be passing (a module not yet loaded).
  await rememberProbe(fingerprint, 'overlay');
  return 'overlay';
}

/** A mounted overlay, or why overlayfs cannot be used here (`dir` is then removed). */
type OverlayAttempt = { rootfs: MountedRootfs } | { unavailable: string };

async function mountOverlay(dir: string, lowers: readonly string[]): Promise<OverlayAttempt> {
  for (const lower of lowers) {
    // ':' separates lowerdirs and ',' mount options; store snapshot paths never hold them.
    if (/[:,]/.test(lower)) return { unavailable: `cannot use ${lower} as an overlay lower dir: the path holds ':' or ','` };
  }
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const merged = join(dir, 'merged');
  let mounted = false;
  const unregister = registerCleanup(() => {
    if (mounted) runToolSync('umount', ['-l', merged]);
    rmSync(dir, { recursive: true, force: true });
  });
  const unmount = async (): Promise<void> => {
    if (!mounted) return;
    const r = await runTool('umount', [merged]);
    // A process that outlived the container may still hold the mount: detach it rather than leak it.
    if (r.code !== 0 && (await runTool('umount', ['-l', merged])).code !== 0) {
      throw new ExecError(`cannot unmount ${merged}: ${r.stderr.trim()}`);
    }
    mounted = false;
  };
  const remove = async (): Promise<void> => {
    await unmount();
    await rm(dir, { recursive: true, force: true });
    unregister();
  };
  try {
    await mkdir(dir, { mode: 0o700 });
    // overlayfs needs at least one lowerdir: an empty one stands for FROM scratch.
    const lowerDirs = lowers.length > 0 ? [...lowers] : [join(dir, 'empty')];
    for (const d of [upper, work, merged, ...(lowers.length > 0 ? [] : lowerDirs)]) await mkdir(d);
    const options = `lowerdir=${lowerDirs.join(':')},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off`;
    const r = await runTool('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
    if (r.code !== 0) {
      await remove();
      return { unavailable: `cannot mount overlayfs on ${merged} (${r.stderr.trim() || `mount exited ${r.code}`})` };
    }
    mounted = true;
  } catch (err) {
    await remove();
    throw err;
  }
  return { rootfs: { dir, upper, merged, snapshotter: 'overlay', unmount, remove } };
}
