/**
 * The filesystem half of COPY/ADD: puts resolved sources into a root filesystem with Docker's
 * rules (BuildKit's fileop copy over tonistiigi/fsutil):
 *
 * - a directory source copies its contents into the destination, which is made (0755, the
 *   owner's ids) when missing; an existing destination directory keeps its own mode, owner and
 *   times, and so does a new one: fsutil makes it as a parent, not as a copy of the source
 *   directory. Directories below it are copies: made or kept, they take the source's metadata.
 * - a non-directory goes to `dest/<name>` when dest ends in '/' or is a directory (a symlink to
 *   one counts), else to dest itself, renamed; several sources (or a wildcard with several
 *   matches) need a destination ending in '/'. A symlink at dest that leads to no directory is
 *   replaced: BuildKit would write through it (inside the root); a copy never does here.
 * - `--parents` keeps each source's path below its `/./` pivot (or the root) under dest; the
 *   directories of that path are copies of the source's own directories.
 * - `--chmod` applies to every copied file and directory, never to parents made on the way.
 * - `--exclude` filters what a directory source holds and, as Docker documents, a wildcard's
 *   matches; a source named outright is always copied.
 */
import { join } from 'node:path';
import { BadPatternError, SourceError } from '../../context/errors.js';
import { PatternMatcher, type IgnoreState } from '../../context/dockerignore.js';
import type { ResolvedSource } from '../../context/sources.js';
import type { ChmodSpec } from '../../parse/instructions/chmod.js';
import { Destination, joinRel, type Owner } from './destination.js';
import { keptPath, wildcardMatchPath } from './source-path.js';
import type { SnapshotReuse } from './reuse.js';
import { copyTree } from './tree.js';
import { TargetWriter, directoryMeta, type Meta } from './writer.js';

export interface CopyFilesOptions {
  /** Directory the sources were resolved against (the build context root, a stage's rootfs, or a temp dir holding downloads/heredocs). */
  sourceRoot: string;
  sources: readonly ResolvedSource[];
  /** Root of the filesystem being written (a mounted overlay, or an empty dir for --link). */
  targetRoot: string;
  /** Absolute in-image path; trailing '/' means a directory. */
  dest: string;
  destIsDir: boolean;
  /** Ownership of everything written: fixed ids, or keep the source's (COPY --from a stage without --chown). */
  owner: Owner;
  chmod?: ChmodSpec;
  /** --exclude patterns (dockerignore syntax), matched against paths relative to each source. */
  exclude: readonly string[];
  /** --parents: keep the source's path below the context root (or below a `/./` pivot in the source as written). */
  parents: boolean;
  instruction: 'COPY' | 'ADD';
  /** Ignore rules for listing directory sources (the context's .dockerignore; none for a stage). */
  ignore?: PatternMatcher;
  /** Files the previous build of this copy wrote as they would be written now: linked after the copy, not copied. */
  reuse?: SnapshotReuse;
}

export interface CopyFilesResult {
  /** Non-directories written: files, symlinks, hardlinks, FIFOs, devices. */
  files: number;
  /** Bytes of file content copied. */
  bytes: number;
}

/** One copy in progress: the options and the pieces every source shares. */
interface Job {
  o: CopyFilesOptions;
  dest: Destination;
  writer: TargetWriter;
  exclude: PatternMatcher | undefined;
}

export async function copyFiles(o: CopyFilesOptions): Promise<CopyFilesResult> {
  const { instruction } = o;
  const destIsDir = o.destIsDir || o.dest.endsWith('/');
  // with --parents every source lands below dest, a directory whatever its spelling
  if (o.sources.length > 1 && !destIsDir && !o.parents) {
    const source = o.sources.find((s) => wildcardMatchPath(s) !== undefined)?.source ?? o.sources[0]!.source;
    throw new SourceError(`${instruction} failed: When using ${instruction} with more than one source file, the destination must be a directory and end with a /`, source);
  }
  const job: Job = {
    o: { ...o, destIsDir },
    dest: new Destination(o.targetRoot, instruction, o.owner),
    writer: new TargetWriter({ targetRoot: o.targetRoot, owner: o.owner, chmod: o.chmod, instruction, reuse: o.reuse }),
    exclude: excludeMatcher(o.exclude, instruction),
  };
  try {
    for (const source of o.sources) await copySource(job, source);
  } finally {
    await job.writer.close();
  }
  return { files: job.writer.files, bytes: job.writer.bytes };
}

function excludeMatcher(patterns: readonly string[], instruction: string): PatternMatcher | undefined {
  if (patterns.length === 0) return undefined;
  try {
    const matcher = new PatternMatcher(patterns);
    matcher.assertUsable();
    return matcher;
  } catch (err) {
    if (err instanceof BadPatternError) throw new BadPatternError(err.pattern, `${instruction} --exclude: invalid pattern`);
    throw err;
  }
}

async function copySource(job: Job, rs: ResolvedSource): Promise<void> {
  const { o, dest, writer, exclude } = job;
  if (o.parents) {
    const kept = keptPath(rs, o.instruction);
    if (kept.path !== '') return copyWithParents(job, rs, kept.pivot, kept.path.split('/'));
  } else if (exclude !== undefined) {
    // a wildcard's matches are filtered too ("not copied, even if their paths match <src>")
    const matched = wildcardMatchPath(rs);
    if (matched !== undefined && exclude.matchesOrParentMatches(matched)) return;
  }
  if (rs.entry.type === 'directory') {
    const to = await dest.dir(o.dest);
    await copyTree(writer, { sourceRoot: o.sourceRoot, ignore: o.ignore, exclude, from: rs.path, to, base: '', baseState: undefined });
    return;
  }
  const place = o.destIsDir ? { dir: await dest.dir(o.dest), name: rs.name } : await dest.placeFile(o.dest, rs.name);
  await writer.writeEntry(join(o.sourceRoot, rs.path), joinRel(place.dir, place.name), rs.entry, new Map());
}

/** `--parents`: dest/<kept path>, its directories copied from the source's own below the pivot. */
async function copyWithParents(job: Job, rs: ResolvedSource, pivot: string, parts: string[]): Promise<void> {
  const { o, dest, writer, exclude } = job;
  const isDir = rs.entry.type === 'directory';
  const state = exclude === undefined ? undefined : keptState(exclude, parts, isDir);
  if (state === null) return;
  const opened: { rel: string; meta: Meta }[] = [];
  let dir = await dest.dir(o.dest);
  for (const [i, name] of parts.slice(0, -1).entries()) {
    dir = joinRel(dir, name);
    const meta = await directoryMeta(join(o.sourceRoot, pivot, ...parts.slice(0, i + 1)));
    await writer.openDir(dir, meta);
    opened.push({ rel: dir, meta });
  }
  const target = joinRel(dir, parts.at(-1)!);
  if (isDir) {
    await writer.openDir(target, rs.entry);
    await copyTree(writer, { sourceRoot: o.sourceRoot, ignore: o.ignore, exclude, from: rs.path, to: target, base: parts.join('/'), baseState: state });
    writer.closeDir(target, rs.entry);
  } else {
    await writer.writeEntry(join(o.sourceRoot, rs.path), target, rs.entry, new Map());
  }
  for (const d of opened.reverse()) writer.closeDir(d.rel, d.meta);
}

/**
 * What the exclude patterns matched along the kept path, judged before anything is written; null
 * when the source or a directory on its way is excluded (and no exception reaches below it).
 */
function keptState(exclude: PatternMatcher, parts: readonly string[], isDir: boolean): IgnoreState | null {
  let state = exclude.rootState();
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join('/');
    const verdict = exclude.evaluate(path, state);
    state = verdict.state;
    if (verdict.excluded && !((i < parts.length || isDir) && exclude.mayIncludeBelow(path))) return null;
  }
  return state;
}
