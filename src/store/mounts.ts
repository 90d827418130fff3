/**
 * Mounts left in tmp/ by a killed process. A RUN step mounts its overlay under its temp
 * directory; a process killed by SIGKILL cannot unmount it, and removing the directory would
 * then fail (EBUSY) or, worse, walk into the mounted tree. The temp cleanup detaches such
 * mounts first (`umount -l`: a container that outlived its hull process may still hold one).
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points at or below `path`, deepest first (as they must be unmounted). */
async function mountsUnder(path: string): Promise<string[]> {
  // The kernel lists mount points with symlinks resolved.
  const real = await realpath(path).catch(() => path);
  let table: string;
  try {
    table = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    // No /proc (or not Linux): nothing this process could have mounted either.
    return [];
  }
  // One entry per mount: a point mounted over twice is listed (and unmounted) twice.
  const found: string[] = [];
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = unescapeMountPath(field);
    if (point === real || point.startsWith(`${real}/`)) found.push(point);
  }
  return found.sort((a, b) => b.length - a.length);
}

/**
 * Detaches every mount at or below `path`; false when one stays (umount refused: not root),
 * and the directory must then be left alone rather than removed through the mount.
 */
export async function detachMounts(path: string): Promise<boolean> {
  for (const point of await mountsUnder(path)) {
    try {
      await run('umount', ['-l', point]);
    } catch {
      // Judged below, by what is still mounted.
    }
  }
  return (await mountsUnder(path)).length === 0;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`). */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
