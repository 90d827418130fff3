/**
 * Mount points the runtime had to create in the rootfs (`/etc/hosts` in an image without one,
 * `/proc` in FROM scratch, …) land in the overlay's upper dir as empty files and directories.
 * They are not the step's doing, so they are removed before the upper dir becomes a layer.
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

async function existsIn(dirs: readonly string[], path: string): Promise<boolean> {
  for (const d of dirs) {
    try {
      await lstat(join(d, path));
      return true;
    } catch {
      // Not in this layer.
    }
  }
  return false;
}

/** The destinations and their parent directories, deepest first (children go before their parent). */
function candidates(destinations: readonly string[]): string[] {
  const all = new Set<string>();
  for (const d of destinations) {
    for (let p = posix.normalize(d); p !== '/' && p !== '.'; p = posix.dirname(p)) all.add(p);
  }
  return [...all].sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b));
}

/** Removes from `upper` the empty stubs at `destinations` (and their empty new parents) that no lower has. */
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
    if (await existsIn(lowers, path)) continue;
    if (st.isFile() && st.size === 0) {
      await unlink(full);
      removed.push(path);
    } else if (st.isDirectory() && (await readdir(full)).length === 0) {
      await rmdir(full);
      removed.push(path);
    }
  }
  return removed;
}
