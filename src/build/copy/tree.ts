/**
 * Copies a directory source's contents (not the directory itself) into a target directory, in
 * one streaming walk: memory holds the open directories of the current path, the walk's own
 * lookahead and the inodes of multiply-linked files, never the whole tree.
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

export async function copyTree(writer: TargetWriter, t: TreeCopy): Promise<void> {
  const links: LinkMap = new Map();
  const open: OpenDir[] = [];
  const skip = t.from === '.' ? 0 : t.from.length + 1;
  /** `dir/` of an excluded directory whose entries are passing by. */
  let skipping: string | undefined;
  for await (const entry of walkContext(t.sourceRoot, { ignore: t.ignore, under: t.from })) {
    const sub = entry.path.slice(skip);
    if (skipping !== undefined && sub.startsWith(skipping)) continue;
    skipping = undefined;
    // the walk is depth first: a directory is complete once an entry outside it comes
    for (let top = open.at(-1); top !== undefined && !sub.startsWith(`${top.sub}/`); top = open.at(-1)) {
      open.pop();
      await writer.closeDir(top.target, top.entry);
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
    if (entry.type === 'directory') {
      await writer.openDir(target, entry);
      open.push({ sub, target, entry, state });
    } else {
      await writer.writeEntry(`${t.sourceRoot}/${entry.path}`, target, entry, links);
    }
  }
  for (let top = open.pop(); top !== undefined; top = open.pop()) await writer.closeDir(top.target, top.entry);
}
