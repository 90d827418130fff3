/**
 * The container's root filesystem: an overlayfs with the parent layers' snapshot directories as
 * lowerdirs (top layer first) and a fresh upper dir that collects exactly what the step changed.
 * `redirect_dir` and `metacopy` are off because the layer writer reads the upper dir as a plain
 * diff: with them on, a renamed directory or a chmod would be stored as xattr pointers into the
 * lowers, which a tar cannot express.
 */
import { mkdir, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExecError } from '../errors.js';
import { registerCleanup } from './cleanup.js';
import { runTool, runToolSync } from './proc.js';

export interface MountedRootfs {
  /** The temp directory holding upper/, work/, merged/ (and whatever the caller puts beside them). */
  dir: string;
  upper: string;
  merged: string;
  /** Unmounts the overlay; the upper dir stays (the caller turns it into a layer). Idempotent. */
  unmount(): Promise<void>;
  /** Unmounts if needed and removes the temp directory. Idempotent. */
  remove(): Promise<void>;
}

/**
 * Mounts `lowers` (top layer first; empty for FROM scratch) under a new directory `dir`, which
 * must not exist yet. On failure nothing is left mounted and `dir` is removed.
 */
export async function mountRootfs(dir: string, lowers: readonly string[]): Promise<MountedRootfs> {
  for (const lower of lowers) {
    // ':' separates lowerdirs and ',' mount options; store snapshot paths never hold them.
    if (/[:,]/.test(lower)) throw new ExecError(`cannot use ${lower} as an overlay lower dir: the path holds ':' or ','`);
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
      throw new ExecError(
        `overlay unavailable: cannot mount overlayfs on ${merged} (${r.stderr.trim() || `mount exited ${r.code}`}); ` +
          'RUN needs root (or a kernel allowing overlayfs here) and a filesystem that supports it as upper dir',
      );
    }
    mounted = true;
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, upper, merged, unmount, remove };
}
