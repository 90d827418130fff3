/**
 * ADD <git repository>: which sources are git repositories (BuildKit's gitutil.ParseGitRef as
 * the Dockerfile frontend applies it), and a checkout with the `git` binary as BuildKit's git
 * source makes it (source/git/source.go): the ref resolved with ls-remote, a shallow fetch,
 * submodules, `.git` dropped unless kept.
 *
 * A Dockerfile chooses the URL, so git runs fenced in: no system or user configuration, no
 * prompts, only the http(s), ssh and git transports (never `ext::`, which runs commands), every
 * option-like argument behind `--`.
 */
import { spawn } from 'node:child_process';
import { lutimes, mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walk } from '../../layer/walk.js';
import { missingTool } from '../../layer/subprocess.js';
import { ChecksumMismatchError, FetchError, redactUrl } from './errors.js';

export interface GitSource {
  /** The repository as git is given it: the URL without BuildKit's fragment and query options. */
  remote: string;
  /** Branch, tag, full commit hash or full ref name; undefined: the remote's HEAD. */
  ref?: string;
  /** `?checksum=` / `?commit=`: a commit hash (or its prefix) the checkout must match. */
  checksum?: string;
  /** The directory inside the repository whose contents are the source. */
  subdir?: string;
}

export interface CloneOptions {
  /** ADD --keep-git-dir: leave `.git` (origin redacted, reflog empty) in the checkout. */
  keepGitDir?: boolean;
  /**
   * File times: `checkout` (default) leaves the times git wrote, as BuildKit does; `commit` sets
   * every file, link and directory to the commit time, as BuildKit's `git.mtime=commit` does
   * (which its Dockerfile frontend turns on when SOURCE_DATE_EPOCH is set).
   */
  mtime?: 'checkout' | 'commit';
  signal?: AbortSignal;
}

export interface Clone {
  /** The directory whose contents are copied: the checkout, or its subdir. */
  root: string;
  /** The commit checked out. */
  commit: string;
}

/** Transports a git source may use (BuildKit's gitutil supportedProtos). */
const GIT_SCHEMES = new Set(['http', 'https', 'ssh', 'git']);

/** BuildKit's sshutil SCP-style URL: `user@host:path`, optional `?query` and `#fragment`. */
const SCP_STYLE = /^([\w-]+)@([a-zA-Z0-9.-]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/;

/** What a process may see: the user's proxy and ssh agent, nothing else from the environment. */
const PASSED_ENV = ['SSH_AUTH_SOCK', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'];

const STDERR_LINES = 6;

/**
 * The git source an ADD source names, or undefined when it is not one. Follows ParseGitRef and
 * the frontend's use of it: `./`, `../` and the `github.com/…` shorthand are local paths for ADD;
 * a `scheme://` URL is git for http, https, ssh and git, and http(s) only when the path ends in
 * `.git`; `user@host:path` is ssh. Options come from the fragment (`#ref:subdir`) and the query
 * (`?ref=`, `?tag=`, `?branch=`, `?checksum=`/`?commit=`, `?subdir=`). Options BuildKit
 * rejects (unknown keys, conflicts) make it not a git source there either: undefined.
 */
export function parseGitUrl(source: string): GitSource | undefined {
  if (source.startsWith('./') || source.startsWith('../') || source.startsWith('github.com/')) return undefined;
  const scheme = /^([a-zA-Z0-9]+):\/\//.exec(source)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!GIT_SCHEMES.has(scheme)) return undefined;
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return undefined;
    }
    if ((scheme === 'http' || scheme === 'https') && !decoded(url.pathname)?.endsWith('.git')) return undefined;
    const fragment = decoded(url.hash.slice(1));
    if (fragment === undefined) return undefined;
    const query = new URLSearchParams(url.search);
    url.hash = '';
    url.search = '';
    return withOptions(url.href, fragment, query);
  }
  const m = SCP_STYLE.exec(source);
  if (!m) return undefined;
  return withOptions(`${m[1]}@${m[2]}:${m[3]}`, m[5] ?? '', new URLSearchParams(m[4] ?? ''));
}

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** BuildKit's gitutil parseOpts: the fragment is `ref:subdir`; the query may say the same, not differently. */
function withOptions(remote: string, fragment: string, query: URLSearchParams): GitSource | undefined {
  const colon = fragment.indexOf(':');
  let ref = colon < 0 ? fragment : fragment.slice(0, colon);
  let subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  let checksum = '';
  let tag = '';
  let branch = '';
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    if (values.length !== 1 || values[0] === '') return undefined;
    const value = values[0]!;
    if (key === 'ref') {
      if (ref !== '' && ref !== value) return undefined;
      ref = value;
    } else if (key === 'tag') tag = value;
    else if (key === 'branch') branch = value;
    else if (key === 'checksum' || key === 'commit') checksum = value;
    else if (key === 'subdir') {
      if (subdir !== '' && subdir !== value) return undefined;
      subdir = value;
    } else return undefined;
  }
  if (tag !== '') {
    if (ref !== '') return undefined;
    ref = `refs/tags/${tag}`;
  }
  if (branch !== '') {
    if (tag !== '' || ref !== '') return undefined;
    ref = `refs/heads/${branch}`;
  }
  if (checksum !== '' && ref === '') ref = checksum;
  return { remote, ...(ref !== '' && { ref }), ...(checksum !== '' && { checksum }), ...(subdir !== '' && { subdir }) };
}

/** A full commit hash (sha1 or sha256), as gitutil.IsCommitSHA. */
function isCommitHash(ref: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(ref);
}

/**
 * Checks `source` out into `dir` (created if missing; meant to be empty). The caller copies the
 * contents of `root`; `dir` is theirs to remove afterwards.
 */
export async function cloneGit(source: GitSource, dir: string, options: CloneOptions = {}): Promise<Clone> {
  const shown = redactUrl(source.remote);
  const ref = source.ref ?? '';
  if (ref.startsWith('-')) throw new FetchError(`ADD ${shown}: invalid git ref '${ref}'`, shown);
  if (source.checksum !== undefined && !/^[0-9a-fA-F]+$/.test(source.checksum)) {
    throw new FetchError(`ADD ${shown}: invalid checksum '${source.checksum}': expected a hexadecimal commit hash`, shown);
  }
  await mkdir(dir, { recursive: true });
  const home = await mkdtemp(join(tmpdir(), 'hull-git-home-'));
  try {
    const git = new Git(dir, gitEnv(home, source.remote.startsWith('file://')), source.remote, shown, options.signal);
    await git.run(['init', '-q']);
    await git.run(['remote', 'add', '--', 'origin', source.remote]);
    const fetched = isCommitHash(ref) ? await fetchCommit(git, ref) : await fetchRef(git, ref);
    // -f: a fetched branch may be the unborn HEAD's own, and only a forced checkout then writes the files.
    await git.run(['-c', 'advice.detachedHead=false', 'checkout', '-q', '-f', '--detach', fetched.checkout]);
    const commit = (await git.run(['rev-parse', 'HEAD'])).trim();
    checkChecksum(source.checksum, [commit, ...fetched.also], shown);
    await git.withoutDepthIfRefused(['submodule', 'update', '--init', '--recursive', '--depth=1']);
    // Read while .git is still there.
    const committed = options.mtime === 'commit' ? Number((await git.run(['show', '-s', '--format=%ct', 'HEAD'])).trim()) : undefined;
    if (options.keepGitDir) await tidyGitDir(git, dir, shown);
    else await dropGitDirs(git, dir);
    const root = await subdirRoot(dir, source.subdir ?? '', shown);
    if (committed !== undefined) await setTimes(root, committed);
    return { root, commit };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

interface Fetched {
  /** What to check out. */
  checkout: string;
  /** Other names the checksum may match: an annotated tag's own hash. */
  also: string[];
}

/**
 * A branch or tag, resolved as BuildKit resolves it (ls-remote; an exact `refs/…` name first,
 * then a branch, then a tag: git-checkout prefers branches), fetched under its full name so the
 * choice holds. No ref: the remote's HEAD.
 */
async function fetchRef(git: Git, ref: string): Promise<Fetched> {
  if (ref === '') {
    await git.withoutDepthIfRefused(['fetch', '-q', '--depth=1', '--no-tags', '--', 'origin', 'HEAD']);
    return { checkout: 'FETCH_HEAD', also: [] };
  }
  const listing = await git.run(['ls-remote', '--', 'origin', ref, `${ref}^{}`]);
  const exact = `refs/${ref.replace(/^refs\//, '')}`;
  const head = `refs/heads/${ref.replace(/^refs\/heads\//, '')}`;
  const tag = `refs/tags/${ref.replace(/^refs\/tags\//, '')}`;
  const found = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [hash, name] = line.split('\t');
    if (hash && name) found.set(name, hash);
  }
  const used = found.has(exact) ? exact : found.has(head) ? head : found.has(tag) ? tag : undefined;
  if (used === undefined) throw new FetchError(`ADD ${git.shown}: the repository has no branch or tag '${ref}'`, git.shown);
  // -u: the ref may be the branch the fresh repository's HEAD names.
  await git.withoutDepthIfRefused(['fetch', '-q', '-u', '--depth=1', '--no-tags', '--', 'origin', `+${used}:${used}`]);
  return { checkout: 'FETCH_HEAD', also: [found.get(used)!] };
}

/**
 * A commit by hash: shallow where the server allows it, else a plain fetch of it, else the whole
 * repository (servers that only serve advertised refs) in which the commit must then be found.
 */
async function fetchCommit(git: Git, hash: string): Promise<Fetched> {
  try {
    await git.withoutDepthIfRefused(['fetch', '-q', '--depth=1', '--', 'origin', hash]);
    return { checkout: 'FETCH_HEAD', also: [] };
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    await git.run(['fetch', '-q', '--tags', '--', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
    try {
      await git.run(['cat-file', '-e', `${hash}^{commit}`]);
    } catch {
      throw new FetchError(`ADD ${git.shown}: the repository has no commit ${hash}`, git.shown);
    }
    return { checkout: hash, also: [] };
  }
}

/** BuildKit's check of `checksum=`: a prefix of the commit, or of the annotated tag that names it. */
function checkChecksum(checksum: string | undefined, hashes: string[], shown: string): void {
  if (checksum === undefined) return;
  const want = checksum.toLowerCase();
  if (!hashes.some((h) => h.startsWith(want))) throw new ChecksumMismatchError(shown, checksum, hashes.join(' or '));
}

/** A kept `.git` as BuildKit leaves it: origin without credentials, no reflog, no FETCH_HEAD. */
async function tidyGitDir(git: Git, dir: string, shown: string): Promise<void> {
  await git.run(['remote', 'set-url', '--', 'origin', shown]);
  await git.run(['reflog', 'expire', '--all', '--expire=now']);
  await rm(join(dir, '.git', 'FETCH_HEAD'), { force: true });
}

/**
 * Drops `.git`, and the `.git` files of submodules, which would point into it. (BuildKit keeps
 * its repository elsewhere and leaves those files dangling in the checkout.)
 */
async function dropGitDirs(git: Git, dir: string): Promise<void> {
  const listing = await git.run(['submodule', 'foreach', '--quiet', '--recursive', 'printf "%s\\0" "$displaypath"']);
  for (const path of listing.split('\0')) if (path !== '') await rm(join(dir, path, '.git'), { force: true });
  await rm(join(dir, '.git'), { recursive: true, force: true });
}

/**
 * The real directory `subdir` names, which must stay inside the checkout: no `..`, no symlink
 * leading out, not the git directory. A leading '/' means the repository's root, as in BuildKit.
 */
async function subdirRoot(dir: string, subdir: string, shown: string): Promise<string> {
  const top = await realpath(dir);
  const parts = subdir.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return top;
  if (parts.includes('..')) throw new FetchError(`ADD ${shown}: subdir '${subdir}' must not contain '..'`, shown);
  let real: string;
  try {
    real = await realpath(join(top, ...parts));
  } catch {
    throw new FetchError(`ADD ${shown}: the repository has no directory '${subdir}'`, shown);
  }
  if (!real.startsWith(`${top}/`) || real === `${top}/.git` || real.startsWith(`${top}/.git/`)) {
    throw new FetchError(`ADD ${shown}: subdir '${subdir}' leads outside the checkout`, shown);
  }
  if (!(await stat(real)).isDirectory()) throw new FetchError(`ADD ${shown}: '${subdir}' is not a directory in the repository`, shown);
  return real;
}

async function setTimes(root: string, seconds: number): Promise<void> {
  for await (const entry of walk(root)) await lutimes(entry.abs, seconds, seconds);
  await lutimes(root, seconds, seconds);
}

/**
 * git's environment, built from nothing: an empty HOME and no system or global configuration (so
 * no url.insteadOf, credential helper or alias of the host's applies), no terminal prompts, the
 * transports allowed (file only for a file:// remote, never ext:: or fd::), ssh in batch mode.
 * Inherited GIT_DIR and the like cannot leak in.
 */
function gitEnv(home: string, allowFile: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: allowFile ? 'https:http:ssh:git:file' : 'https:http:ssh:git',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    // English messages: the shallow-refusal check reads them.
    LC_ALL: 'C',
  };
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** git in one working directory; failures become FetchErrors quoting git's last stderr lines. */
class Git {
  constructor(
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly remote: string,
    readonly shown: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Runs git, resolving with its stdout. */
  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], ...(this.signal && { signal: this.signal }) });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-8192)));
      child.once('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? missingTool('git', 'git') : e));
      child.once('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new FetchError(`ADD ${this.shown}: git ${args[0]} failed: ${this.tail(err) || `exit ${code ?? 'on a signal'}`}`, this.shown));
      });
    });
  }

  /**
   * Runs a command with `--depth=1`, and again without it when the server refuses shallow
   * fetches (dumb HTTP, old servers), as BuildKit's git helper did.
   */
  async withoutDepthIfRefused(args: string[]): Promise<string> {
    try {
      return await this.run(args);
    } catch (err) {
      if (!(err instanceof FetchError) || !/shallow|--depth/.test(err.message)) throw err;
      return this.run(args.filter((a) => a !== '--depth=1'));
    }
  }

  private tail(stderr: string): string {
    const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return lines.slice(-STDERR_LINES).join(' | ').split(this.remote).join(this.shown);
  }
}
