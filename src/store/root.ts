/**
 * Where the store lives: `--root DIR`, else `HULL_ROOT`, else `/var/lib/hull` for root and
 * `$XDG_DATA_HOME/hull` (or `~/.local/share/hull`) for everyone else, as other daemonless
 * engines (podman, buildah) split system and user storage.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { StoreError } from './errors.js';

export interface RootOptions {
  /** `--root DIR` from the command line. */
  root?: string;
  env?: Readonly<Record<string, string | undefined>>;
  uid?: number;
  home?: string;
}

export const SYSTEM_ROOT = '/var/lib/hull';

export function resolveRoot(options: RootOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.root !== undefined && options.root !== '') return resolve(options.root);
  const fromEnv = env.HULL_ROOT;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if (uid === 0) return SYSTEM_ROOT;
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'hull');
  const home = options.home ?? env.HOME ?? homedir();
  if (!home) throw new StoreError('cannot choose a store directory: no HOME; pass --root DIR or set HULL_ROOT');
  return join(home, '.local', 'share', 'hull');
}
