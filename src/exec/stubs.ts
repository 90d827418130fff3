/**
 * Mount points the runtime had to create in the rootfs (`/etc/hosts` in an image without one,
 * `/proc` in FROM scratch, `/run/secrets/<id>`, a cache mount's target, …) land in the overlay's
 * upper dir as empty files and directories; creating them also copies their existing parents
 * (`/etc`, `/run`, `/root`) up into it. Neither is the step's doing, so both are removed before
 * the upper dir becomes a layer.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isOpaqueDir } from '../layer/whiteout.js';
import { isOverlayXattr, readTreeXattrs } from '../layer/xattrs.js';

/** What the topmost lower holding `path` has there, if any does. */
async function lowerEntry(dirs: readonly string[], path: string): Promise<Stats | undefined> {
  for (const d of dirs) {
    try {
      return await lstat(join(d, path));
    } catch {
      // Not in this layer.
    }
  }
  return undefined;
}

/** The destinations and their parent directories, deepest first (children go before their parent). */
function candidates(destinations: readonly string[]): string[] {
  const all = new Set<string>();
  for (const d of destinations) {
    for (let p = posix.normalize(d); p !== '/' && p !== '.'; p = posix.dirname(p)) all.add(p);
  }
  return [...all].sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b));
}

async function isEmptyDir(path: string, st: Stats): Promise<boolean> {
  return st.isDirectory() && (await readdir(path)).length === 0;
}

/**
 * A directory of the lowers that is in the upper dir only because something was created in it and
 * is gone again: empty, not opaque (`rm -rf d && mkdir d` makes an opaque one, which matters) and
 * with the owner and mode it had. Only its mtime can differ; a step that just touched it loses that.
 */
async function isBareCopyUp(path: string, st: Stats, below: Stats): Promise<boolean> {
  if (!below.isDirectory() || !(await isEmptyDir(path, st))) return false;
  if (st.mode !== below.mode || st.uid !== below.uid || st.gid !== below.gid) return false;
  return !isOpaqueDir((await readTreeXattrs(path, isOverlayXattr)).get(''));
}

/** Removes from `upper` the empty stubs at `destinations`, their empty new parents and their bare copied-up parents. */
export async function removeMountStubs(upper: string, lowers: readonly string[], destinations: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const path of candidates(destinations)) {
    const full = join(upper, path);
    let st;
    try {
      st = await lstat(full);
    } catch {
      continue;
    }
    const below = await lowerEntry(lowers, path);
    if (below !== undefined) {
      if (await isBareCopyUp(full, st, below)) {
        await rmdir(full);
        removed.push(path);
      }
    } else if (st.isFile() && st.size === 0) {
      await unlink(full);
      removed.push(path);
    } else if (await isEmptyDir(full, st)) {
      await rmdir(full);
      removed.push(path);
    }
  }
  return removed;
}
