import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PatternMatcher, readDockerignore } from './dockerignore.js';
import { ContextError } from './errors.js';

/** An opened build context: its real root and its ignore rules. */
export interface BuildContext {
  /** Absolute, symlinks resolved: every source is checked against this. */
  root: string;
  ignore: PatternMatcher;
  /** Which ignore file was used (absolute path), or null when there is none. */
  ignoreFile: string | null;
  /**
   * An image's filesystem (COPY --from) rather than a build context: symlinks resolve as they
   * would inside the container (an absolute target starts at this root, `..` stops at it)
   * instead of being refused as escapes.
   */
  rootfs?: boolean;
}

/**
 * The ignore file's text, or null when there is none. Opened without blocking and checked to be a
 * regular file before reading: a context may hold a FIFO (or a link to a device) by that name,
 * and reading one would wait forever or never end.
 */
async function readIfPresent(path: string): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new ContextError(`${path} is not a regular file: an ignore file must be one`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Opens a context directory. Like BuildKit, `<Dockerfile>.dockerignore` beside the Dockerfile wins
 * over `<context>/.dockerignore`. The Dockerfile and the ignore file are read by the caller
 * directly, so ignoring them only keeps them out of `COPY .` (BEHAVIOURS 18).
 */
export async function openContext(dir: string, dockerfile?: string): Promise<BuildContext> {
  const root = await realpath(dir);
  const candidates = dockerfile === undefined ? [] : [join(dirname(dockerfile), `${basename(dockerfile)}.dockerignore`)];
  candidates.push(join(root, '.dockerignore'));
  for (const file of candidates) {
    const text = await readIfPresent(file);
    if (text !== null) return { root, ignore: new PatternMatcher(readDockerignore(text)), ignoreFile: file };
  }
  return { root, ignore: new PatternMatcher([]), ignoreFile: null };
}
