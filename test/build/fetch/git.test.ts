import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { walk } from '../../../src/layer/walk.js';
import { ChecksumMismatchError, cloneGit, FetchError, parseGitUrl, type GitSource } from '../../../src/build/fetch/index.js';
import { scratchDirs } from '../../helpers/scratch.js';

const scratch = scratchDirs('hull-fetch-git-');

/** Commit times are fixed so that `mtime: 'commit'` has a known answer. */
const FIRST_TIME = 1_600_000_000;
const LATER_TIME = 1_700_000_000;

let repos = '';
let server: Server;
let httpBase = '';
const commits = { first: '', main: '', feature: '' };

/** git for building the fixtures, away from the host's configuration. */
function git(cwd: string, args: string[], time = LATER_TIME): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: repos,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_AUTHOR_DATE: `@${time} +0000`,
      GIT_COMMITTER_DATE: `@${time} +0000`,
    },
  }).trim();
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

before(async () => {
  repos = await mkdtemp(join(tmpdir(), 'hull-git-repos-'));
  // The submodule, published beside the superproject so "../lib.git" finds it over any transport.
  const lib = join(repos, 'lib-work');
  mkdirSync(lib);
  git(lib, ['init', '-q', '-b', 'main']);
  write(join(lib, 'lib.txt'), 'library\n');
  git(lib, ['add', '.']);
  git(lib, ['commit', '-q', '-m', 'lib']);
  git(repos, ['clone', '-q', '--bare', lib, 'lib.git']);

  const app = join(repos, 'app-work');
  mkdirSync(app);
  git(app, ['init', '-q', '-b', 'main']);
  git(app, ['remote', 'add', 'origin', join(repos, 'app.git')]);
  write(join(app, 'README'), 'first\n');
  write(join(app, 'docs/guide.md'), 'guide v1\n');
  symlinkSync('/etc', join(app, 'escape'));
  symlinkSync('docs', join(app, 'docs-link'));
  git(app, ['add', '.']);
  git(app, ['commit', '-q', '-m', 'first'], FIRST_TIME);
  commits.first = git(app, ['rev-parse', 'HEAD']);
  git(app, ['tag', '-a', 'v1', '-m', 'release 1'], FIRST_TIME);

  git(app, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', '../lib.git', 'vendor/lib']);
  write(join(app, 'README'), 'second\n');
  git(app, ['add', '.']);
  git(app, ['commit', '-q', '-m', 'second']);
  commits.main = git(app, ['rev-parse', 'HEAD']);

  git(app, ['checkout', '-q', '-b', 'feature']);
  write(join(app, 'docs/guide.md'), 'guide on the feature branch\n');
  write(join(app, 'docs/extra.md'), 'extra\n');
  git(app, ['add', '.']);
  git(app, ['commit', '-q', '-m', 'feature']);
  commits.feature = git(app, ['rev-parse', 'HEAD']);
  git(app, ['checkout', '-q', 'main']);

  git(repos, ['init', '-q', '--bare', '-b', 'main', 'app.git']);
  git(app, ['push', '-q', 'origin', 'main', 'feature', 'v1']);
  // Dumb HTTP needs the static indexes (info/refs, objects/info/packs).
  for (const bare of ['app.git', 'lib.git']) git(join(repos, bare), ['update-server-info']);

  // A static file server: git's "dumb HTTP" protocol needs nothing more.
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(join(repos, path)).then(
      (data) => res.end(data),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  httpBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(repos, { recursive: true, force: true });
});

const fileUrl = (): string => `file://${repos}/app.git`;
const httpUrl = (): string => `${httpBase}/app.git`;
const read = (root: string, path: string): string => readFileSync(join(root, path), 'utf8');

describe('parseGitUrl', () => {
  it('recognises the git sources BuildKit recognises', () => {
    assert.deepEqual(parseGitUrl('https://github.com/moby/buildkit.git'), { remote: 'https://github.com/moby/buildkit.git' });
    assert.deepEqual(parseGitUrl('https://github.com/moby/buildkit.git#v0.10.1:docs'), { remote: 'https://github.com/moby/buildkit.git', ref: 'v0.10.1', subdir: 'docs' });
    assert.deepEqual(parseGitUrl('http://host/x.git#:sub'), { remote: 'http://host/x.git', subdir: 'sub' });
    assert.deepEqual(parseGitUrl('git://host/x.git#main'), { remote: 'git://host/x.git', ref: 'main' });
    assert.deepEqual(parseGitUrl('ssh://git@host/x#main'), { remote: 'ssh://git@host/x', ref: 'main' });
    assert.deepEqual(parseGitUrl('git@github.com:moby/buildkit.git#main:frontend'), { remote: 'git@github.com:moby/buildkit.git', ref: 'main', subdir: 'frontend' });
  });

  it('reads the query form', () => {
    assert.deepEqual(parseGitUrl('https://host/x.git?ref=main&subdir=docs'), { remote: 'https://host/x.git', ref: 'main', subdir: 'docs' });
    assert.deepEqual(parseGitUrl('https://host/x.git?tag=v1'), { remote: 'https://host/x.git', ref: 'refs/tags/v1' });
    assert.deepEqual(parseGitUrl('https://host/x.git?branch=dev'), { remote: 'https://host/x.git', ref: 'refs/heads/dev' });
    assert.deepEqual(parseGitUrl('https://host/x.git?checksum=abc123'), { remote: 'https://host/x.git', ref: 'abc123', checksum: 'abc123' });
    assert.deepEqual(parseGitUrl('https://host/x.git?ref=main#main'), { remote: 'https://host/x.git', ref: 'main' });
    assert.deepEqual(parseGitUrl('git@host:x.git?branch=dev#:sub'), { remote: 'git@host:x.git', ref: 'refs/heads/dev', subdir: 'sub' });
  });

  it('is undefined for everything else, and for options BuildKit rejects', () => {
    for (const source of [
      'https://example.com/archive.tar.gz',
      'https://host/x.git/',
      'github.com/moby/buildkit',
      './repo.git',
      '../repo.git',
      'file:///srv/repo.git',
      'ext::sh -c touch% /tmp/pwned',
      'fd::17',
      'context/file.txt',
      'host:path.git',
      'https://host/x.git?ref=a#b',
      'https://host/x.git?tag=v1&branch=dev',
      'https://host/x.git?unknown=1',
      'https://host/x.git?ref=',
    ]) {
      assert.equal(parseGitUrl(source), undefined, source);
    }
  });
});

describe('cloneGit', () => {
  it('checks out the default branch with submodules over file://, dropping every .git', async () => {
    const dir = await scratch.fresh('default');
    const { root, commit } = await cloneGit({ remote: fileUrl() }, dir);
    assert.equal(commit, commits.main);
    assert.equal(read(root, 'README'), 'second\n');
    assert.equal(read(root, 'vendor/lib/lib.txt'), 'library\n');
    assert.equal(existsSync(join(root, '.git')), false);
    assert.equal(existsSync(join(root, 'vendor/lib/.git')), false);
  });

  it('checks out an annotated tag (#tag) at the commit it names', async () => {
    const { root, commit } = await cloneGit(parseGitUrl(`${httpUrl()}#v1`)!, await scratch.fresh('tag'));
    assert.equal(commit, commits.first);
    assert.equal(read(root, 'README'), 'first\n');
    assert.equal(existsSync(join(root, 'vendor')), false);
  });

  it('checks out a branch subdirectory (#branch:subdir) over dumb HTTP', async () => {
    const dir = await scratch.fresh('subdir');
    const { root, commit } = await cloneGit(parseGitUrl(`${httpUrl()}#feature:docs`)!, dir);
    assert.equal(commit, commits.feature);
    assert.equal(root, join(dir, 'docs'));
    assert.equal(read(root, 'guide.md'), 'guide on the feature branch\n');
    assert.equal(read(root, 'extra.md'), 'extra\n');
  });

  it('checks out a commit by hash (#sha) over dumb HTTP, which cannot fetch shallow', async () => {
    const { root, commit } = await cloneGit(parseGitUrl(`${httpUrl()}#${commits.first}`)!, await scratch.fresh('sha'));
    assert.equal(commit, commits.first);
    assert.equal(read(root, 'docs/guide.md'), 'guide v1\n');
  });

  it('fetches submodules over dumb HTTP too', async () => {
    const { root } = await cloneGit(parseGitUrl(`${httpUrl()}#main`)!, await scratch.fresh('http-sub'));
    assert.equal(read(root, 'vendor/lib/lib.txt'), 'library\n');
  });

  it('keeps a tidy .git with --keep-git-dir', async () => {
    const { root, commit } = await cloneGit(parseGitUrl(`${httpUrl()}#main`)!, await scratch.fresh('keep'), { keepGitDir: true });
    assert.equal(lstatSync(join(root, '.git')).isDirectory(), true);
    assert.equal(execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(), commit);
    assert.equal(execFileSync('git', ['-C', root, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim(), httpUrl());
    assert.equal(existsSync(join(root, '.git', 'FETCH_HEAD')), false);
    assert.equal(execFileSync('git', ['-C', root, 'status', '--porcelain'], { encoding: 'utf8' }), '');
  });

  it('sets every time to the commit time with mtime: commit', async () => {
    const { root } = await cloneGit(parseGitUrl(`${httpUrl()}#v1`)!, await scratch.fresh('mtime'), { mtime: 'commit' });
    assert.equal(lstatSync(root).mtimeMs, FIRST_TIME * 1000);
    let seen = 0;
    for await (const entry of walk(root)) {
      assert.equal(Number(entry.stat.mtimeMs), FIRST_TIME * 1000, entry.rel);
      seen++;
    }
    assert.ok(seen >= 4);
  });

  it('verifies a checksum against the commit (or the annotated tag)', async () => {
    const ok = await cloneGit({ remote: fileUrl(), ref: 'v1', checksum: commits.first.slice(0, 10) }, await scratch.fresh('sum'));
    assert.equal(ok.commit, commits.first);
    await assert.rejects(cloneGit({ remote: fileUrl(), ref: 'main', checksum: commits.first }, await scratch.fresh('sum')), (err: unknown) => {
      assert.ok(err instanceof ChecksumMismatchError);
      assert.match(err.message, new RegExp(`checksum mismatch: expected ${commits.first}, got ${commits.main}`));
      return true;
    });
  });

  it('refuses the ext:: transport, which would run a command', async () => {
    const marker = join(await scratch.fresh('ext'), 'pwned');
    const source: GitSource = { remote: `ext::sh -c touch% ${marker}` };
    await assert.rejects(cloneGit(source, await scratch.fresh('ext-clone')), (err: unknown) => {
      assert.ok(err instanceof FetchError);
      assert.match(err.message, /transport 'ext' not allowed/);
      return true;
    });
    assert.equal(existsSync(marker), false);
  });

  it('refuses an ext:: submodule in a fetched repository', async () => {
    const work = await scratch.fresh('evil-work');
    const marker = join(await scratch.fresh('evil-marker'), 'pwned');
    git(work, ['init', '-q', '-b', 'main']);
    write(join(work, '.gitmodules'), `[submodule "x"]\n\tpath = x\n\turl = ext::sh -c touch% ${marker}\n`);
    git(work, ['update-index', '--add', '--cacheinfo', `160000,${commits.main},x`]);
    git(work, ['add', '.gitmodules']);
    git(work, ['commit', '-q', '-m', 'evil']);
    await assert.rejects(cloneGit({ remote: `file://${work}` }, await scratch.fresh('evil-clone')), /transport 'ext' not allowed/);
    assert.equal(existsSync(marker), false);
  });

  it('refuses file:// for a remote that is not itself file://', async () => {
    await assert.rejects(cloneGit({ remote: join(repos, 'app.git') }, await scratch.fresh('local')), /transport 'file' not allowed/);
  });

  it('refuses refs that look like options', async () => {
    await assert.rejects(cloneGit({ remote: fileUrl(), ref: '--upload-pack=touch /tmp/x' }, await scratch.fresh('opt')), /invalid git ref/);
  });

  it('names a ref the repository does not have', async () => {
    await assert.rejects(cloneGit(parseGitUrl(`${httpUrl()}#nope`)!, await scratch.fresh('noref')), /^FetchError: ADD http:\/\/127\.0\.0\.1:\d+\/app\.git: the repository has no branch or tag 'nope'$/);
  });

  it('keeps a subdir inside the checkout', async () => {
    await assert.rejects(cloneGit({ remote: fileUrl(), subdir: '../..' }, await scratch.fresh('dots')), /subdir '\.\.\/\.\.' must not contain '\.\.'/);
    await assert.rejects(cloneGit({ remote: fileUrl(), subdir: 'escape' }, await scratch.fresh('link')), /subdir 'escape' leads outside the checkout/);
    await assert.rejects(cloneGit({ remote: fileUrl(), subdir: '.git' }, await scratch.fresh('gitdir'), { keepGitDir: true }), /leads outside the checkout/);
    await assert.rejects(cloneGit({ remote: fileUrl(), subdir: 'missing' }, await scratch.fresh('missing')), /has no directory 'missing'/);
    await assert.rejects(cloneGit({ remote: fileUrl(), subdir: 'README' }, await scratch.fresh('file')), /'README' is not a directory/);
    const dir = await scratch.fresh('inside-link');
    const { root } = await cloneGit({ remote: fileUrl(), subdir: '/docs-link' }, dir);
    assert.equal(root, join(dir, 'docs'));
  });

  it('quotes git when the repository is not there', async () => {
    await assert.rejects(cloneGit({ remote: `${httpBase}/none.git` }, await scratch.fresh('none')), /^FetchError: ADD http:\/\/127\.0\.0\.1:\d+\/none\.git: git fetch failed: .*not found/);
  });
});
