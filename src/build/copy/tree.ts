/**
 * Copies a directory source's contents (not the directory itself) into a target directory, in
 * one streaming walk, files and symlinks PARALLEL_WRITES at a time: memory holds the open
 * directories of the current path, a bounded number of writes and of directories waiting for
 * theirs, and the inodes of multiply-linked files, never the whole tree.
 *
 * `--exclude` patterns (dockerignore syntax, `!` exceptions included) are matched against paths
 * relative to the source directory, or to the `--parents` pivot (BuildKit's ExcludePatterns on a
 * copy rooted there). An excluded directory is skipped whole unless an exception could re-include
 * something below it; then it is copied and its entries are judged one by one (fsutil copies such
 * a directory even when nothing inside ends up kept). walkContext has no hook to prune for a
 * second matcher, so the entries of a skipped directory are still listed, just not copied.
 */
import type { IgnoreState, PatternMatcher } from '../../context/dockerignore.js';
import { walkContext, type ContextEntry } from '../../context/walk.js';
import { OrderedJobs } from '../../layer/ordered-jobs.js';
import { joinRel } from './destination.js';
import type { LinkMap, TargetWriter } from './writer.js';

export interface TreeCopy {
  sourceRoot: string;
  /** The context's ignore rules for the listing (none for a stage). */
  ignore: PatternMatcher | undefined;
  exclude: PatternMatcher | undefined;
  /** The source directory, relative to sourceRoot ('.' for the root). */
  from: string;
  /** The real target directory receiving the contents (relative to the target root); it exists. */
  to: string;
  /** The source directory's own path as --exclude sees it ('' when patterns are relative to it). */
  base: string;
  /** What the exclude patterns matched on the way to `base`. */
  baseState: IgnoreState | undefined;
}

interface OpenDir {
  /** Path below the source directory. */
  sub: string;
  target: string;
  entry: ContextEntry;
  state: IgnoreState | undefined;
}

/**
 * Files and symlinks written at once. A copy is a round trip through libuv's pool, its bytes moved
 * by the kernel on a pool thread: one at a time leaves the other threads (and cores) idle.
 */
const PARALLEL_WRITES = 16;

/** A directory the walk has left, to close once the writes added before (its contents among them) are done. */
interface Leaving {
  dir: OpenDir;
  after: number;
}

export async function copyTree(writer: TargetWriter, t: TreeCopy): Promise<void> {
  const links: LinkMap = new Map();
  const open: OpenDir[] = [];
  const skip = t.from === '.' ? 0 : t.from.length + 1;
  /** `dir/` of an excluded directory whose entries are passing by. */
  let skipping: string | undefined;
  const writes = new OrderedJobs<void>(PARALLEL_WRITES);
  let added = 0;
  let done = 0;
  const leaving: Leaving[] = [];
  // Writes are taken in the order they were added, so a directory's mode and times land only
  // once everything written into it is there, and the walk never waits for a directory it left.
  const settle = async (keep: number): Promise<void> => {
    for (;;) {
      for (let first = leaving[0]; first !== undefined && first.after <= done; first = leaving[0]) {
        leaving.shift();
        writer.closeDir(first.dir.target, first.dir.entry);
      }
      if (writes.length <= keep) return;
      await writes.take();
      done++;
    }
  };
  const leave = async (dir: OpenDir): Promise<void> => {
    leaving.push({ dir, after: added });
    // a run of empty directories behind one slow write waits for it rather than piling up
    await settle(leaving.length > 2 * PARALLEL_WRITES ? 0 : 2 * PARALLEL_WRITES);
  };
  try {
    for await (const entry of walkContext(t.sourceRoot, { ignore: t.ignore, under: t.from })) {
      const sub = entry.path.slice(skip);
      if (skipping !== undefined && sub.startsWith(skipping)) continue;
      skipping = undefined;
      // the walk is depth first: a directory is complete once an entry outside it comes
      for (let top = open.at(-1); top !== undefined && !sub.startsWith(`${top.sub}/`); top = open.at(-1)) {
        open.pop();
        await leave(top);
      }
      const parent = open.at(-1);
      let state = parent?.state ?? t.baseState;
      if (t.exclude !== undefined) {
        const path = joinRel(t.base, sub);
        const verdict = t.exclude.evaluate(path, state ?? t.exclude.rootState());
        state = verdict.state;
        if (verdict.excluded && !(entry.type === 'directory' && t.exclude.mayIncludeBelow(path))) {
          if (entry.type === 'directory') skipping = `${sub}/`;
          continue;
        }
      }
      const target = joinRel(t.to, sub);
      const src = `${t.sourceRoot}/${entry.path}`;
      if (entry.type === 'directory') {
        await writer.openDir(target, entry);
        open.push({ sub, target, entry, state });
      } else if (entry.type === 'file' || entry.type === 'symlink') {
        writes.add(() => writer.writeEntry(src, target, entry, links));
        added++;
        await settle(2 * PARALLEL_WRITES);
      } else {
        // FIFOs and devices one at a time: the mknod helper takes one request at a time
        await writer.writeEntry(src, target, entry, links);
      }
    }
    for (let top = open.pop(); top !== undefined; top = open.pop()) await leave(top);
    await settle(0);
  } catch (err) {
    // a failed copy returns only once nothing is writing into the target any more
    while (writes.length > 0) await writes.take().catch(() => undefined);
    throw err;
  }
}
