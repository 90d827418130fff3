import { lstatSync, readlinkSync, type BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
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
 * Memory: one frame per directory level holding that directory's names; each entry is lstat'ed
 * only when its turn comes, so nothing else accumulates.
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

/** Linux's limit on a path in any syscall: a context entry below it cannot be read at all. */
const PATH_MAX = 4095;

/**
 * ENAMETOOLONG (a tree deeper than any syscall takes a path for) as a ContextError naming the
 * path, shortened; any other error as it is.
 */
function pathError(err: unknown, path: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') return err;
  const shown = path.length > 200 ? `${path.slice(0, 120)}…(${path.length} chars)…${path.slice(-60)}` : path;
  return new ContextError(`context path '${shown}': path is too long (Linux allows ${PATH_MAX} bytes in a path)`);
}

/**
 * lstat one context path (never following a final symlink) into an entry. Synchronous on purpose:
 * an lstat of a cached inode takes a microsecond or two, while a promise through libuv's thread
 * pool costs far more than the call itself; the walk does 20,000 of them for a mid-sized context.
 */
function lstatEntry(root: string, path: string): ContextEntry {
  const abs = join(root, path);
  let st: BigIntStats;
  try {
    st = lstatSync(abs, { bigint: true });
  } catch (err) {
    throw pathError(err, path);
  }
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
  if (type === 'symlink') entry.linkTarget = readlinkSync(abs);
  return entry;
}

/** lstat one context path (never following a final symlink) into an entry; async for its callers' sake. */
export async function statEntry(root: string, path: string): Promise<ContextEntry> {
  return lstatEntry(root, path);
}

/** Code units at or above U+D800: below it, UTF-16 code unit order is UTF-8 byte order. */
const PAST_D7FF = /[\ud800-\uffff]/;

/**
 * Sorts `items` in place by the UTF-8 bytes of `key(item)`, Go's string order. Plain string
 * comparison when no key holds a code unit from U+D800 up (surrogate pairs sort below U+E000 in
 * UTF-16 but above it in UTF-8); otherwise each key is encoded once, never per comparison.
 */
export function sortByUtf8<T>(items: T[], key: (item: T) => string): T[] {
  if (!items.some((item) => PAST_D7FF.test(key(item)))) {
    return items.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(key(item)) }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  keyed.forEach((k, i) => (items[i] = k.item));
  return items;
}

interface Frame {
  dir: string;
  names: string[];
  next: number;
  state: IgnoreState;
  /** An excluded directory we entered for an exception: listed only once something inside is kept. */
  pending: ContextEntry | undefined;
}

function pathIn(frame: Frame, name: string): string {
  return frame.dir === '' ? name : `${frame.dir}/${name}`;
}

/** The entry at `path`, or undefined when it was removed while we walked (it is no longer part of the context). */
function entryOrGone(root: string, path: string): ContextEntry | undefined {
  try {
    return lstatEntry(root, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A directory's names in walk order. Listed asynchronously: one turn of the event loop per directory keeps a long walk from starving timers and I/O. */
async function sortedNames(root: string, path: string): Promise<string[]> {
  try {
    return sortByUtf8(await readdir(join(root, path)), (name) => name);
  } catch (err) {
    throw pathError(err, path);
  }
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
      names: await sortedNames(root, under),
      next: 0,
      state: ignore === undefined ? [] : under === '' ? ignore.rootState() : ignore.stateOf(under),
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
    // an excluded entry matters only as a directory an exception may reopen: no lstat otherwise
    if (excluded && !ignore?.mayIncludeBelow(path)) continue;
    const entry = entryOrGone(root, path);
    if (entry === undefined) continue;
    if (excluded) {
      if (entry.type === 'directory') {
        stack.push({ dir: path, names: await sortedNames(root, path), next: 0, state, pending: entry });
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
      stack.push({ dir: path, names: await sortedNames(root, path), next: 0, state, pending: undefined });
    }
  }
}
