/**
 * The destination of a COPY inside the target root filesystem. The target is a real directory on
 * the host (a mounted overlay), so following an image's absolute symlink (`/usr/local -> /opt`)
 * with plain fs calls would write to the host: every component is resolved by RootResolver
 * instead, with the root standing for '/' and '..' stopping at it as the kernel does inside the
 * image (BuildKit's RootPath does the same). What comes back is made only of real directories.
 */
import { chmod, lchown } from 'node:fs/promises';
import { posix } from 'node:path';
import { LayerError } from '../../errors.js';
import { RootResolver, lstatOrNull, printable } from '../../layer/resolve.js';

export type Owner = { uid: number; gid: number } | 'preserve';

/** Where one non-directory lands: a real directory (relative to the root) and a name in it. */
export interface Placement {
  dir: string;
  name: string;
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** An absolute in-image path as components, '..' already folded at the root. */
function componentsOf(path: string): string[] {
  return posix.normalize(`/${path}`).split('/').filter((p) => p !== '');
}

export class Destination {
  private readonly resolver: RootResolver;

  constructor(
    readonly root: string,
    private readonly instruction: string,
    owner: Owner,
  ) {
    // Missing directories on the way are made 0755 and owned by the --chown ids (BuildKit's
    // MkdirAll with its chowner); without --chown (a --from copy) they stay the builder's, root's.
    this.resolver = new RootResolver(root, {
      aboveRoot: 'clamp',
      onCreate: async (rel) => {
        const abs = this.resolver.abs(rel);
        if (owner !== 'preserve') await lchown(abs, owner.uid, owner.gid);
        await chmod(abs, 0o755); // whatever the process umask took away
      },
    });
  }

  /** The real directory `path` names, symlinks followed inside the root; missing ones are made. */
  async dir(path: string): Promise<string> {
    return this.resolve(componentsOf(path), path);
  }

  /**
   * Where a non-directory named `name` goes for a destination without a trailing '/': into the
   * destination when it is a directory, or a symlink resolving to one inside the root; otherwise
   * at the destination itself, replacing a file or a symlink there (a link to a file is replaced,
   * never written through).
   */
  async placeFile(path: string, name: string): Promise<Placement> {
    const parts = componentsOf(path);
    const last = parts.pop();
    if (last === undefined) return { dir: '', name };
    const parent = await this.resolve(parts, path);
    const here = joinRel(parent, last);
    const st = await lstatOrNull(this.resolver.abs(here));
    if (st?.isDirectory()) return { dir: here, name };
    if (st?.isSymbolicLink()) {
      const linked = await this.linkedDir([...parts, last], path);
      if (linked !== null) return { dir: linked, name };
    }
    return { dir: parent, name: last };
  }

  /** The directory a final symlink leads to, null when it leads to no directory inside the root. */
  private async linkedDir(parts: string[], path: string): Promise<string | null> {
    try {
      return await this.resolver.resolveDir(parts, path, false);
    } catch (err) {
      // a link to a file, a loop: the link itself is what the copy replaces
      if (err instanceof LayerError) return null;
      throw err;
    }
  }

  /** Resolves (and makes) the directories `parts`; a file on the way is an error naming `path`. */
  private async resolve(parts: string[], path: string): Promise<string> {
    try {
      // creating, resolveDir never answers null
      return (await this.resolver.resolveDir(parts, path, true))!;
    } catch (err) {
      if (err instanceof LayerError) {
        throw new LayerError(`${this.instruction} failed: cannot use ${printable(path)} as a directory (${err.message})`, path);
      }
      throw err;
    }
  }
}
