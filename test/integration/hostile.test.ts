// The hostile corpus (fixtures/hostile/) through the whole product: every archive as the layer of
// a base image pulled from the test registry (FROM), and as an `ADD` from the build context;
// every hostile context as the context of `hull build`. Each build either fails with hull's own
// error naming the entry or source (a typed HullError: the CLI prints it without a stack), or
// succeeds with the content the case describes. Either way nothing outside the target changes:
// the case directory beside the store (the context, the sentinels the inputs aim at) keeps every
// name, mode, owner, size and time; the host paths the inputs aim at do not appear; the store
// holds nothing but its own layout, nothing stays mounted, and the store stays consistent.
// Needs root (overlay mounts, device nodes), the registry, runc and getfattr (test/setup.sh).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestHex } from '../../src/image/digest.js';
import { publishBusybox } from '../helpers/bases.js';
import { runCli } from '../helpers/cli.js';
import { layerTar } from '../helpers/image.js';
import { checkImageEntry, checkOnDisk, hostState, imageContents, publishLayers, rawLayer, storeLayers, treeState, type FileCheck, type ImageContents } from '../helpers/hostile.js';
import { assertStoreConsistent, mountsUnder } from '../helpers/kill-points.js';
import { repoRoot } from '../helpers/paths.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip =
  (!isRoot && 'needs root (overlay mounts, device nodes)') ||
  (!hasTool('runc') && 'runc not installed') ||
  (!hasTool('getfattr') && 'getfattr (package attr) not installed') ||
  false;

const HOSTILE = join(repoRoot(), 'fixtures', 'hostile');

interface TarCase {
  file: string;
  description: string;
  expect: 'rejected' | 'handled';
  message?: string;
  files?: Record<string, FileCheck>;
  uses?: ('base' | 'add')[];
}

interface ContextCase {
  name: string;
  description: string;
  expect: 'rejected' | 'handled';
  message?: string;
  files?: Record<string, FileCheck>;
  absent?: string[];
  todo?: string;
}

const tarCases = JSON.parse(readFileSync(join(HOSTILE, 'tars', 'cases.json'), 'utf8')) as TarCase[];
const contextCases = JSON.parse(readFileSync(join(HOSTILE, 'contexts', 'cases.json'), 'utf8')) as ContextCase[];
const archives = [...new Set(tarCases.map((c) => c.file))];

/** The one case saying what the product does with `file` used as `use`. */
function outcome(file: string, use: 'base' | 'add'): TarCase {
  const found = tarCases.filter((c) => c.file === file && c.uses?.includes(use));
  assert.equal(found.length, 1, `fixtures/hostile/tars/cases.json: exactly one case of ${file} for ${use}`);
  return found[0]!;
}

/** Text no image may ever hold: files beside the context, ignored files, the host's passwd. */
const MARKERS = ['HULL-SECRET', 'HULL-IGNORED', 'root:x:0:0'];
/** The store's own top-level layout: a name beyond these came from somewhere else. */
const STORE_LAYOUT = new Set(['cache', 'locks', 'meta', 'oci', 'snapshots', 'tmp']);
const HEX = /^[0-9a-f]{64}$/;

interface Built {
  code: number;
  err: string;
}

/**
 * Runs `hull build` of `ctx` into the store `caseDir/store` and checks that nothing outside the
 * build's targets changed: the rest of `caseDir`, the host paths hostile inputs aim at, the store's
 * layout, mounts. A build error must be hull's own (exit 1 and no stack).
 */
async function buildContained(caseDir: string, ctx: string, tag: string): Promise<Built> {
  const store = join(caseDir, 'store');
  // Made first, so that its appearing is not a change beside it.
  mkdirSync(store, { recursive: true });
  const tree = treeState(caseDir, ['store']);
  const host = hostState();
  const res = await runCli(['build', '--root', store, '--progress', 'plain', '-t', tag, ctx]);
  assert.ok(res.code === 0 || res.code === 1, `exit ${res.code}:\n${res.err}`);
  assert.doesNotMatch(res.err, /^\s+at .*\(.*:\d+:\d+\)$/m, 'an error of hull, not a crash with a stack');
  assert.deepEqual(treeState(caseDir, ['store']), tree, 'nothing beside the store changed (the context, the sentinels)');
  assert.deepEqual(hostState(), host, 'no host path the inputs aim at appeared, /etc and /etc/passwd unchanged');
  assert.deepEqual(await mountsUnder(caseDir), [], 'nothing left mounted');
  assertStoreLayout(store);
  await assertStoreConsistent(store);
  return res;
}

/** Only the store's own names outside its snapshots, and only digests as snapshot names. */
function assertStoreLayout(store: string): void {
  for (const name of readdirSync(store)) assert.ok(STORE_LAYOUT.has(name), `unexpected ${name} in the store`);
  for (const name of readdirSync(join(store, 'snapshots'))) assert.match(name, HEX, `unexpected ${name} among the snapshots`);
}

/** The error line for the instruction `instruction` at line `line` of the Dockerfile, with the case's message. */
function assertRejected(res: Built, line: number, instruction: string, message: string): void {
  assert.equal(res.code, 1, `the build must fail:\n${res.err}`);
  const escaped = instruction.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(res.err, new RegExp(`^error: .*Dockerfile:${line}:1: ${escaped}: .*${message}`, 'm'));
}

/** No layer entry name that could climb out when the image is unpacked elsewhere. */
function assertCleanNames(contents: ImageContents): void {
  for (const name of contents.names) {
    assert.ok(!name.startsWith('/') && !name.split('/').includes('..') && !name.includes('\0'), `layer entry ${JSON.stringify(name)}`);
  }
}

function assertFiles(problems: string[]): void {
  assert.deepEqual(problems, [], problems.join('\n'));
}

describe('hostile archives and contexts through hull build', { skip }, () => {
  let registry: TestRegistry;
  let web: Server;
  let webUrl: string;
  const bases = new Map<string, string>();
  let contexts: string;
  let host: ReturnType<typeof hostState>;

  before(async () => {
    host = hostState();
    registry = await startRegistry();
    for (const [i, file] of archives.entries()) {
      bases.set(file, await publishLayers(registry, `hostile/archive-${i}`, [rawLayer(readFileSync(join(HOSTILE, 'tars', file)))]));
    }
    // Its own temp dir: the trees deeper than PATH_MAX need rm(1) to go (fs.rm cannot reach their bottom).
    contexts = await mkdtemp(join(tmpdir(), 'hull-hostile-contexts-'));
    execFileSync(process.execPath, [join(HOSTILE, 'contexts', 'make.mjs'), contexts], { stdio: 'pipe' });
    web = createServer((req, res) => {
      const file = archives.find((f) => req.url === `/${f}`);
      if (file === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/x-tar' }).end(readFileSync(join(HOSTILE, 'tars', file)));
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  after(async () => {
    web?.close();
    await registry?.stop();
    if (contexts !== undefined) execFileSync('rm', ['-rf', '--', contexts]);
  });
  // After the hooks above, so that the registry is stopped even if removing these fails.
  const dirs = scratchDirs('hull-hostile-');

  /** A case directory: `ctx/` with `files`, and a `sentinel/` beside it. */
  async function caseDir(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const dir = await dirs.fresh(name);
    mkdirSync(join(dir, 'sentinel', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sentinel', 'keep.txt'), 'keep me');
    writeFileSync(join(dir, 'sentinel', 'sub', 'inner'), 'inner');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, 'ctx', path, '..'), { recursive: true });
      writeFileSync(join(dir, 'ctx', path), content);
    }
    return dir;
  }

  it('covers at least 30 hostile cases, each archive both as a base layer and as an ADD', () => {
    assert.ok(archives.length + contextCases.length >= 30, `${archives.length} archives and ${contextCases.length} contexts`);
    for (const file of archives) for (const use of ['base', 'add'] as const) outcome(file, use);
  });

  describe('as the layer of a base image (FROM, pulled from the registry)', () => {
    for (const file of archives) {
      const c = outcome(file, 'base');
      it(`${file}: ${c.description} → ${c.expect}`, { timeout: 120_000 }, async () => {
        const dir = await caseDir(`base-${file}`, { marker: 'marker\n', Dockerfile: `FROM ${bases.get(file)}\nCOPY marker /marker\n` });
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-base:1');
        if (c.expect === 'rejected') return assertRejected(res, 2, 'COPY marker /marker', c.message!);
        assert.equal(res.code, 0, res.err);
        // The base layer goes into the image as it is; what hull made of it is its snapshot.
        const snapshot = join(dir, 'store', 'snapshots', digestHex(rawLayer(readFileSync(join(HOSTILE, 'tars', file))).diffID));
        assertFiles(Object.entries(c.files ?? {}).flatMap(([path, want]) => checkOnDisk(join(snapshot, path), want)));
        const contents = await imageContents(join(dir, 'store'), 'local/hostile-base:1', []);
        assertFiles(checkImageEntry(contents, 'marker', { type: 'file', content: 'marker\n' }));
      });
    }
  });

  describe('as an ADD archive from the build context', () => {
    for (const file of archives) {
      const c = outcome(file, 'add');
      it(`${file}: ${c.description} → ${c.expect}`, { timeout: 120_000 }, async () => {
        // /sentinel in the image is what "../sentinel" names from /dst: extraction must not reach it.
        const dir = await caseDir(`add-${file}`, {
          [file]: readFileSync(join(HOSTILE, 'tars', file)),
          'sentinel/keep.txt': 'keep me',
          'sentinel/sub/inner': 'inner',
          Dockerfile: `FROM scratch\nCOPY sentinel/ /sentinel/\nADD ${file} /dst/\n`,
        });
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-add:1');
        if (c.expect === 'rejected') return assertRejected(res, 3, `ADD ${file} /dst/`, c.message!);
        assert.equal(res.code, 0, res.err);
        const contents = await imageContents(join(dir, 'store'), 'local/hostile-add:1', MARKERS);
        assertCleanNames(contents);
        assertFiles(Object.entries(c.files ?? {}).flatMap(([path, want]) => checkImageEntry(contents, `dst/${path}`, want)));
        const sentinel = [...contents.entries.keys()].filter((p) => p.startsWith('sentinel/')).sort();
        assert.deepEqual(sentinel, ['sentinel/keep.txt', 'sentinel/sub', 'sentinel/sub/inner'], "the image's /sentinel, next to /dst, is untouched");
        assertFiles(checkImageEntry(contents, 'sentinel/keep.txt', { type: 'file', content: 'keep me' }));
      });
    }
  });

  describe('as a remote ADD (a URL is downloaded, not extracted, unless --unpack=true)', () => {
    for (const file of ['traversal.tar', 'symlink-escape-write.tar', 'hardlink-etc-passwd.tar']) {
      it(`ADD URL/${file} keeps the archive as a file`, { timeout: 60_000 }, async () => {
        const dir = await caseDir(`url-${file}`, { Dockerfile: `FROM scratch\nADD ${webUrl}/${file} /dl/\n` });
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-url:1');
        assert.equal(res.code, 0, res.err);
        const contents = await imageContents(join(dir, 'store'), 'local/hostile-url:1', []);
        assertCleanNames(contents);
        const bytes = readFileSync(join(HOSTILE, 'tars', file));
        assertFiles(checkImageEntry(contents, `dl/${file}`, { type: 'file', size: bytes.length }));
        assert.deepEqual(contents.entries.get(`dl/${file}`)?.content, bytes);
      });
      const c = outcome(file, 'add');
      it(`ADD --unpack=true URL/${file} extracts it as safely as a local archive → ${c.expect}`, { timeout: 60_000 }, async () => {
        const dir = await caseDir(`url-unpack-${file}`, { Dockerfile: `FROM scratch\nADD --unpack=true ${webUrl}/${file} /dl/\n` });
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-url:1');
        assertRejected(res, 2, `ADD --unpack=true ${webUrl}/${file} /dl/`, c.message!);
      });
    }
  });

  describe('as build contexts', () => {
    for (const c of contextCases) {
      it(`${c.name}: ${c.description} → ${c.expect}`, { timeout: 120_000, ...(c.todo !== undefined ? { todo: c.todo } : {}) }, async () => {
        const dir = join(contexts, c.name);
        const peak = process.resourceUsage().maxRSS;
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-context:1');
        if (c.expect === 'rejected') {
          assert.equal(res.code, 1, `the build must fail:\n${res.err}`);
          assert.match(res.err, new RegExp(`^error: .*${c.message!}`, 'm'));
          return;
        }
        assert.equal(res.code, 0, res.err);
        const contents = await imageContents(join(dir, 'store'), 'local/hostile-context:1', MARKERS);
        assert.deepEqual(contents.found, [], 'nothing from beside the context, nothing ignored, no host file reached the image');
        assertCleanNames(contents);
        const expand = (text: string): string => text.replaceAll('@CASE@', dir);
        assertFiles(Object.entries(c.files ?? {}).flatMap(([path, want]) => checkImageEntry(contents, path, { ...want, ...(want.linkname !== undefined ? { linkname: expand(want.linkname) } : {}) })));
        for (const path of c.absent ?? []) assert.ok(!contents.entries.has(path), `${path} must not be in the image`);
        const grew = (process.resourceUsage().maxRSS - peak) / 1024;
        assert.ok(grew < 256, `peak memory grew by ${grew.toFixed(0)} MiB`);
      });
    }
  });

  it('a config naming another layer\'s diffID cannot file its own content under that name', { timeout: 60_000 }, async () => {
    const honest = rawLayer(readFileSync(join(HOSTILE, 'tars', 'absolute.tar')));
    const liar = rawLayer(readFileSync(join(HOSTILE, 'tars', 'duplicates.tar')));
    // The liar claims the honest layer's diffID: were its content filed under it, every later
    // build on the honest image in this store would run on the liar's files.
    const liarRef = await publishLayers(registry, 'hostile/diffid-liar', [liar], [honest.diffID]);
    const honestRef = await publishLayers(registry, 'hostile/diffid-honest', [honest]);
    const dir = await caseDir('diffid', { marker: 'marker\n', Dockerfile: `FROM ${liarRef}\nCOPY marker /marker\n` });
    const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-liar:1');
    assertRejected(res, 2, 'COPY marker /marker', `diffID ${liar.diffID}, not the ${honest.diffID}`);
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), `FROM ${honestRef}\nCOPY marker /marker\n`);
    const next = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-honest:1');
    assert.equal(next.code, 0, next.err);
    const snapshot = join(dir, 'store', 'snapshots', digestHex(honest.diffID));
    assertFiles(checkOnDisk(join(snapshot, 'etc', 'hull-abs'), { type: 'file', content: 'absolute' }));
    assert.ok(!existsSync(join(snapshot, 'dup')), "none of the liar's files in the honest layer's snapshot");
  });

  describe('steps after FROM a base whose links point out of any host directory', () => {
    let linked: string;
    before(async () => {
      const baseStore = join(dirs.root(), 'busybox-store');
      const busybox = await publishBusybox(registry, baseStore, dirs.root());
      const layers = [...(await storeLayers(baseStore, busybox)), rawLayer(readFileSync(join(HOSTILE, 'tars', 'escape-links.tar')))];
      linked = await publishLayers(registry, 'hostile/busybox-escape-links', layers);
    });

    // etcl -> ../../(…)/etc, abs -> /etc, tmpl -> ../../(…)/tmp: inside the image they are its /etc and /tmp.
    const steps: { name: string; steps: string; files: Record<string, FileCheck>; todo?: string }[] = [
      {
        name: 'COPY through them',
        steps: 'COPY marker /etcl/hull-evil\nCOPY marker /abs/hull-abs\nCOPY marker /tmpl/hull-ctx-evil',
        files: { 'etc/hull-evil': { type: 'file', content: 'marker\n' }, 'etc/hull-abs': { type: 'file', content: 'marker\n' }, 'tmp/hull-ctx-evil': { type: 'file', content: 'marker\n' } },
      },
      {
        name: 'RUN writing through them',
        steps: 'RUN echo run > /tmpl/hull-run-evil && echo run > /etcl/hull-evil && echo run > /abs/hull-abs',
        files: { 'tmp/hull-run-evil': { type: 'file', content: 'run\n' }, 'etc/hull-evil': { type: 'file', content: 'run\n' }, 'etc/hull-abs': { type: 'file', content: 'run\n' } },
      },
      {
        name: 'WORKDIR through them',
        steps: 'WORKDIR /tmpl/hull-workdir-evil',
        files: { 'tmp/hull-workdir-evil': { type: 'dir' } },
        todo: contextCases.find((c) => c.name === 'workdir-through-link')?.todo,
      },
      {
        name: 'ADD an archive through them',
        steps: 'ADD small.tar /tmpl/',
        files: { 'tmp/hull-add-evil': { type: 'file', content: 'from the archive\n' } },
        todo: contextCases.find((c) => c.name === 'add-dest-through-link')?.todo,
      },
    ];
    for (const s of steps) {
      it(`${s.name}: the writes land inside the image`, { timeout: 120_000, ...(s.todo !== undefined ? { todo: s.todo } : {}) }, async () => {
        const dir = await caseDir(`links-${s.name.split(' ')[0]!.toLowerCase()}`, {
          marker: 'marker\n',
          'small.tar': await layerTar([{ name: 'hull-add-evil', content: 'from the archive\n' }]),
          Dockerfile: `FROM ${linked}\n${s.steps}\n`,
        });
        const res = await buildContained(dir, join(dir, 'ctx'), 'local/hostile-links:1');
        assert.equal(res.code, 0, res.err);
        const contents = await imageContents(join(dir, 'store'), 'local/hostile-links:1', []);
        assertFiles(Object.entries(s.files).flatMap(([path, want]) => checkImageEntry(contents, path, want)));
      });
    }
  });

  it('leaves the host as it was before the corpus ran', () => {
    assert.deepEqual(hostState(), host);
  });
});

