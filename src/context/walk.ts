import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ContextError } from './errors.js';
import type { IgnoreState, PatternMatcher } from './dockerignore.js';

/**
 * Lists a build context, honouring `.dockerignore`, in a deterministic order (depth first, names
 * sorted by their UTF-8 bytes as Go's filepath.Walk does). Our own walk rather than fast-glob
 * because Docker's ignore rules (later `!` wins, parent matches exclude children, exceptions that
 * reopen an excluded directory) cannot be expressed as fast-glob `ignore` globs, we need to prune
 * whole directories by those rules, we must lstat every entry anyway (modes, owners, inode and
 * ns times for the stat cache) and never follow a symlink, and we want a sorted, streaming order.
 * Memory: one frame per directory level holding that directory's names and at most LOOKAHEAD
 * pending lstat results; nothing else accumulates.
 */

export type EntryType = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device';

export interface ContextEntry {
  /** Relative to the context root, '/'-separated, never starting with '/' or './'. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (st_mode & 0o7777). */
  mode: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
  nlink: number;
  uid: number;
  gid: number;
  /** The link's text exactly as stored, for symlinks only. */
  linkTarget?: string;
}

export interface WalkOptions {
  /** The `.dockerignore` matcher; absent means nothing is ignored. */
  ignore?: PatternMatcher | undefined;
  /** Walk only below this context-relative directory (the directory itself is not listed). */
  under?: string | undefined;
}

const S_IFMT = 0o170000;
const TYPES = new Map<number, EntryType>([
  [0o100000, 'file'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'char-device'],
  [0o060000, 'block-device'],
]);

/** lstat one context path (never following a final symlink) into an entry. */
export async function statEntry(root: string, path: string): Promise<ContextEntry> {
  const abs = join(root, path);
  const st = await lstat(abs, { bigint: true });
  const type = TYPES.get(Number(st.mode) & S_IFMT) ?? 'file';
  const entry: ContextEntry = {
    path,
    type,
    mode: Number(st.mode) & 0o7777,
    size: type === 'file' || type === 'symlink' ? Number(st.size) : 0,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    ino: st.ino,
    dev: st.dev,
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
  if (type === 'symlink') entry.linkTarget = await readlink(abs);
  return entry;
}

/** How many lstat calls of one directory run ahead of the consumer: throughput without unbounded memory. */
const LOOKAHEAD = 32;

type Stat = { entry: ContextEntry } | { gone: true } | { error: unknown };

interface Frame {
  dir: string;
  names: string[];
  next: number;
  /** lstat results already under way, by name index (at most LOOKAHEAD of them). */
  ahead: Map<number, Promise<Stat>>;
  state: IgnoreState;
  /** An excluded directory we entered for an exception: listed only once something inside is kept. */
  pending: ContextEntry | undefined;
}

function pathIn(frame: Frame, name: string): string {
  return frame.dir === '' ? name : `${frame.dir}/${name}`;
}

/** Settles instead of rejecting, so a walk abandoned early leaves no unhandled rejection behind. */
async function settle(root: string, path: string): Promise<Stat> {
  try {
    return { entry: await statEntry(root, path) };
  } catch (err) {
    // removed while we walked: it simply is not part of the context any more
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true };
    return { error: err };
  }
}

/** The lstat of the frame's entry `index`, starting the following ones in the background. */
function statAt(root: string, frame: Frame, index: number): Promise<Stat> {
  for (let i = index; i < Math.min(index + LOOKAHEAD, frame.names.length); i++) {
    if (!frame.ahead.has(i)) frame.ahead.set(i, settle(root, pathIn(frame, frame.names[i] as string)));
  }
  const p = frame.ahead.get(index) as Promise<Stat>;
  frame.ahead.delete(index);
  return p;
}

async function sortedNames(abs: string): Promise<string[]> {
  const names = await readdir(abs);
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Refuses an `under` that passes through a symlink: the walk must stay inside the context. */
async function checkUnder(root: string, under: string): Promise<void> {
  const parts = under.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    const st = await lstat(join(root, rel));
    if (!st.isDirectory()) throw new ContextError(`cannot walk ${under}: ${rel} is not a directory inside the context`);
  }
}

/** Streams the context's entries (see the module comment for order and memory). */
export async function* walkContext(root: string, options: WalkOptions = {}): AsyncGenerator<ContextEntry> {
  const ignore = options.ignore;
  ignore?.assertUsable();
  const under = options.under === undefined || options.under === '.' || options.under === '' ? '' : options.under;
  if (under !== '') await checkUnder(root, under);
  const stack: Frame[] = [
    {
      dir: under,
      names: await sortedNames(join(root, under)),
      next: 0,
      state: ignore === undefined ? [] : under === '' ? ignore.rootState() : ignore.stateOf(under),
      ahead: new Map(),
      pending: undefined,
    },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const index = frame.next++;
    const name = frame.names[index];
    if (name === undefined) {
      stack.pop();
      continue;
    }
    const path = pathIn(frame, name);
    let excluded = false;
    let state: IgnoreState = frame.state;
    if (ignore !== undefined) ({ excluded, state } = ignore.evaluate(path, frame.state));
    const stat = await statAt(root, frame, index);
    if ('gone' in stat) continue;
    if ('error' in stat) throw stat.error;
    const entry = stat.entry;
    if (excluded) {
      if (entry.type === 'directory' && ignore !== undefined && ignore.mayIncludeBelow(path)) {
        stack.push({ dir: path, names: await sortedNames(join(root, path)), next: 0, state, ahead: new Map(), pending: entry });
      }
      continue;
    }
    // ancestors entered only for an exception appear now, before their first kept descendant
    for (const f of stack) {
      if (f.pending !== undefined) {
        yield f.pending;
        f.pending = undefined;
      }
    }
    yield entry;
    if (entry.type === 'directory') {
      stack.push({ dir: path, names: await sortedNames(join(root, path)), next: 0, state, ahead: new Map(), pending: undefined });
    }
  }
}
