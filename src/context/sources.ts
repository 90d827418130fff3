import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from './context.js';
import { BadPatternError, ContextError, SourceError } from './errors.js';
import { compileGoMatch, hasWildcards } from './gomatch.js';
import { cleanPath } from './gopath.js';
import { statEntry, walkContext, type ContextEntry } from './walk.js';

/**
 * COPY/ADD sources resolved against a build context. Wildcards follow Docker: each path component
 * is a Go filepath.Match pattern (`*`, `?`, `[...]`, `\` escapes; `**` is just `*`, since Docker's
 * COPY has no recursive globbing). A source never reaches a host file: `..` that climbs out of the
 * context is refused, symlinks are followed only while they stay inside it.
 */

export interface ResolvedSource {
  /** The source exactly as written. */
  source: string;
  /** Context-relative path of what is copied ('.' for the root), symlinks resolved. */
  path: string;
  /** The name the copy takes in the destination: the name matched, not a followed link's target. */
  name: string;
  /** What is copied: a directory means "its contents" (list them with walkContext `under: path`). */
  entry: ContextEntry;
}

export interface ResolveOptions {
  /** The instruction, for messages (`COPY`, `ADD`, `RUN --mount`). */
  instruction?: string;
}

const MAX_HOPS = 40; // Linux's own symlink limit (ELOOP)

/** Internal: raised deep in the recursion, turned into a SourceError naming the source. */
class LoopError extends ContextError {
  readonly link: string;
  constructor(link: string) {
    super(`too many levels of symbolic links at ${link}`);
    this.link = link;
  }
}

interface Found {
  kind: 'found';
  /** Context path of the object, symlinks resolved. */
  real: string[];
  /** The name that was looked up (a link keeps its own name even when followed). */
  name: string;
  entry: ContextEntry;
}

type Step =
  | Found
  | { kind: 'missing' }
  | { kind: 'escape'; link: string };

interface Resolver {
  ctx: BuildContext;
  hops: number;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Follows a link's text from the directory holding it, one component at a time, inside the context. */
async function follow(r: Resolver, dir: string[], link: ContextEntry): Promise<Step> {
  if (++r.hops > MAX_HOPS) throw new LoopError(link.path);
  const target = link.linkTarget ?? '';
  let real: string[];
  let rest: string;
  if (target.startsWith('/') && r.ctx.rootfs) {
    real = [];
    rest = target;
  } else if (target.startsWith('/')) {
    // an absolute target is a host path: usable only when it lands inside the context itself
    if (target !== r.ctx.root && !target.startsWith(r.ctx.root + '/')) return { kind: 'escape', link: link.path };
    real = [];
    rest = target.slice(r.ctx.root.length);
  } else {
    real = [...dir];
    rest = target;
  }
  let last: Found | undefined;
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (real.length === 0 && r.ctx.rootfs) continue;
      if (real.length === 0) return { kind: 'escape', link: link.path };
      real.pop();
      last = undefined;
      continue;
    }
    const next = await step(r, real, part);
    if (next.kind !== 'found') return next;
    // step answers with a symlink only when that link cannot be resolved inside the context
    if (next.entry.type === 'symlink') return { kind: 'escape', link: link.path };
    last = next;
    real = next.real;
  }
  if (last !== undefined) return last;
  // the link names a directory reached only by '.'/'..' (or the root itself)
  const path = real.length === 0 ? '.' : real.join('/');
  return { kind: 'found', real, name: '.', entry: await statEntry(r.ctx.root, path) };
}

/**
 * Resolves one name inside `dir`. A symlink is followed while it stays inside the context and its
 * target exists and is not ignored; otherwise the link itself is the answer (type 'symlink') and
 * the caller decides whether a link is acceptable there.
 */
async function step(r: Resolver, dir: string[], name: string): Promise<Step> {
  const real = [...dir, name];
  const path = real.join('/');
  let entry: ContextEntry;
  try {
    entry = await statEntry(r.ctx.root, path);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return { kind: 'missing' };
    throw err;
  }
  // an ignored entry is not in the context at all, links included
  if (r.ctx.ignore.matchesOrParentMatches(path) && !(entry.type === 'directory' && (await keepsSomething(r.ctx, path)))) {
    return { kind: 'missing' };
  }
  if (entry.type !== 'symlink') return { kind: 'found', real, name, entry };
  const followed = await follow(r, dir, entry);
  if (followed.kind === 'found') return { ...followed, name };
  // unresolvable inside the context (outside, dangling or ignored target): the link stands for
  // itself and is copied as a link; the caller refuses to go *through* it
  return { kind: 'found', real, name, entry };
}

/** Whether an excluded directory still holds something an exception re-includes. */
async function keepsSomething(ctx: BuildContext, dir: string): Promise<boolean> {
  if (!ctx.ignore.mayIncludeBelow(dir)) return false;
  for await (const entry of walkContext(ctx.root, { ignore: ctx.ignore, under: dir })) {
    void entry;
    return true;
  }
  return false;
}

function notFound(instruction: string, source: string): SourceError {
  return new SourceError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`, source);
}

/** One source being expanded. */
interface Job {
  source: string;
  instruction: string;
  /** Whether the source has wildcards at all (Go's containsWildcards); if not, nothing is unescaped. */
  wild: boolean;
}

/** Like Go's filepath.Glob, a component is a pattern when it holds a meta character, `\` included. */
const META = /[*?[\\]/;

/** Expands `parts` from directory `dir`, collecting every final match. */
async function expand(r: Resolver, dir: string[], parts: string[], job: Job, out: Found[]): Promise<void> {
  const { source, instruction } = job;
  const [part, ...rest] = parts;
  if (part === undefined) return;
  let names: string[];
  if (job.wild && META.test(part)) {
    let matcher;
    try {
      matcher = compileGoMatch(part);
    } catch (err) {
      if (err instanceof BadPatternError) throw new SourceError(`${instruction} failed: bad wildcard pattern in source ${source}`, source);
      throw err;
    }
    let listing: string[];
    try {
      listing = await readdir(join(r.ctx.root, ...dir));
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw err;
    }
    names = listing.filter((n) => matcher.matches(n)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  } else {
    names = [part];
  }
  for (const name of names) {
    const found = await step(r, dir, name);
    if (found.kind !== 'found') continue;
    if (rest.length === 0) {
      out.push(found);
      continue;
    }
    if (found.entry.type === 'symlink') {
      throw new SourceError(
        `${instruction} failed: source ${source} goes through the symlink ${found.real.join('/')}, which does not resolve inside the build context`,
        source,
      );
    }
    if (found.entry.type === 'directory') await expand(r, found.real, rest, job, out);
  }
}

/** Resolves one source; throws SourceError when it is outside the context or matches nothing. */
export async function resolveSource(ctx: BuildContext, source: string, options: ResolveOptions = {}): Promise<ResolvedSource[]> {
  const instruction = options.instruction ?? 'COPY';
  // a leading '/' means the context root; '..' must not climb above it
  const cleaned = cleanPath(source.replace(/^\/+/, '') || '.');
  if (cleaned === '..' || cleaned.startsWith('../')) {
    throw new SourceError(`${instruction} failed: forbidden path outside the build context: ${source}`, source);
  }
  if (cleaned === '.') {
    return [{ source, path: '.', name: '.', entry: await statEntry(ctx.root, '.') }];
  }
  const r: Resolver = { ctx, hops: 0 };
  const found: Found[] = [];
  try {
    await expand(r, [], cleaned.split('/'), { source, instruction, wild: hasWildcards(cleaned) }, found);
  } catch (err) {
    if (err instanceof LoopError) throw new SourceError(`${instruction} failed: too many levels of symbolic links resolving ${source} (at ${err.link})`, source);
    throw err;
  }
  const out = found.map((f) => ({ source, path: f.real.length === 0 ? '.' : f.real.join('/'), name: f.name, entry: f.entry }));
  if (out.length === 0) throw notFound(instruction, source);
  return out;
}

/** Resolves every source of one instruction, in order. */
export async function resolveSources(ctx: BuildContext, sources: readonly string[], options: ResolveOptions = {}): Promise<ResolvedSource[]> {
  const out: ResolvedSource[] = [];
  for (const source of sources) out.push(...(await resolveSource(ctx, source, options)));
  return out;
}
