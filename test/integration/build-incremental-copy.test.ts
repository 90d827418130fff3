// Incremental COPY (src/build/copy/reuse.ts): a COPY that reruns because some context files
// changed takes the unchanged ones from the previous build's snapshot as hard links. Shown here:
// the layer is byte for byte the one a clean store makes, the files that changed, appeared or
// went are right, and the previous build's snapshot is left as it was.
// Needs root (overlayfs, runc) and the test registry.
import assert from 'node:assert/strict';
import { chmod, link, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { build, type BuildOptions, type BuildResult } from '../../src/build/solver.js';
import { Store } from '../../src/store/store.js';
import { publishBusybox } from '../helpers/bases.js';
import { imageFile } from '../helpers/built-image.js';
import { fillTree } from '../helpers/context-tree.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';

const isRoot = process.getuid?.() === 0;

const DOCKERFILE = `ARG BASE
FROM \${BASE}
COPY . /app
COPY --chown=7:8 --chmod=640 conf/ /etc/svc/
RUN cat /app/keep.txt /app/edit.txt > /joined
`;

/** A fixed SOURCE_DATE_EPOCH: two builds of the same files then give the same layers. */
const EPOCH = 1_700_000_000;

describe('incremental COPY', { skip: !isRoot && 'needs root' }, () => {
  const dirs = scratchDirs('hull-incr-');
  let registry: TestRegistry;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
  });
  after(() => registry?.stop());

  async function context(): Promise<string> {
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      Dockerfile: DOCKERFILE,
      'keep.txt': 'kept\n',
      'edit.txt': 'before\n',
      'gone.txt': 'to be deleted\n',
      'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      'deep/a/b/c.txt': 'deep\n',
      'deep/link': { link: 'a/b/c.txt' },
      'conf/app.conf': 'x=1\n',
      'conf/other.conf': 'y=2\n',
    });
    await link(join(ctx, 'keep.txt'), join(ctx, 'keep-hardlink.txt'));
    return ctx;
  }

  async function buildIn(root: string, ctx: string, tag: string, more: Partial<BuildOptions> = {}): Promise<{ result: BuildResult; reused: string[] }> {
    const store = await Store.open(root);
    const reused: string[] = [];
    const onEvent = (e: BuildEvent): void => {
      if (e.kind === 'status' && e.id === 'reuse') reused.push(e.text);
    };
    try {
      const result = await build({ store, contextDir: ctx, onEvent, sourceDateEpoch: EPOCH, ...more, buildArgs: { BASE: base } });
      await store.tag(tag, result.manifest);
      return { result, reused };
    } finally {
      await store.close();
    }
  }

  it('links the unchanged files, and the image is the one a clean store builds', async () => {
    const ctx = await context();
    const root = await dirs.fresh('store');
    const first = await buildIn(root, ctx, 'incr/app:1');
    assert.deepEqual(first.reused, [], 'nothing to reuse in a first build');

    await writeFile(join(ctx, 'edit.txt'), 'after!\n');
    await rm(join(ctx, 'gone.txt'));
    await writeFile(join(ctx, 'new.txt'), 'new\n');
    await writeFile(join(ctx, 'conf/app.conf'), 'x=2\n');
    await chmod(join(ctx, 'run.sh'), 0o700);
    const second = await buildIn(root, ctx, 'incr/app:2');
    // COPY . /app links the Dockerfile, deep/a/b/c.txt and conf/other.conf; it copies edit.txt and
    // conf/app.conf (changed), run.sh (same bytes, new mode), new.txt, and keep.txt with its
    // hardlink (two names of one inode stay one). COPY conf/ copies everything: the layers below
    // it changed, and what a copy does depends on them (a symlink on the way, a directory there).
    assert.deepEqual(second.reused, ['3 unchanged files linked from the previous build']);

    const clean = await buildIn(await dirs.fresh('clean-store'), ctx, 'incr/app:2');
    assert.equal(second.result.manifest.digest, clean.result.manifest.digest, 'the incremental build and a clean one make the same image');

    assert.equal(await imageFile(root, 'incr/app:2', 'joined'), 'kept\nafter!\n');
    assert.equal(await imageFile(root, 'incr/app:2', 'app/new.txt'), 'new\n');
    assert.equal(await imageFile(root, 'incr/app:2', 'app/gone.txt'), undefined);
    assert.equal(await imageFile(root, 'incr/app:2', 'etc/svc/app.conf'), 'x=2\n');
  });

  it('leaves the previous snapshot as it was: a RUN over it still sees the old files', async () => {
    const ctx = await context();
    const root = await dirs.fresh('store');
    await buildIn(root, ctx, 'incr/old:1');
    await writeFile(join(ctx, 'edit.txt'), 'after!\n');
    await buildIn(root, ctx, 'incr/old:2');

    // The first build's COPY layer, served from the cache, under a RUN it has never had.
    await writeFile(join(ctx, 'edit.txt'), 'before\n');
    const check = `ARG BASE\nFROM \${BASE}\nCOPY . /app\nRUN cat /app/edit.txt /app/keep.txt /app/deep/a/b/c.txt > /seen\n`;
    await buildIn(root, ctx, 'incr/check:1', { dockerfile: join(dirs.root(), 'Check.Dockerfile'), dockerfileText: check });
    assert.equal(await imageFile(root, 'incr/check:1', 'seen'), 'before\nkept\ndeep\n');
  });
});
