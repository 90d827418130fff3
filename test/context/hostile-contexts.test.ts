// The hostile build contexts (fixtures/hostile/contexts/) are made at test time, but their
// description is committed: it must be exactly what the generator writes. The contexts are built
// whole by test/integration/hostile.test.ts; the two that trouble the context code itself, and
// need no root to make, are opened and walked here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { openContext } from '../../src/context/context.js';
import { ContextError } from '../../src/context/errors.js';
import { walkContext } from '../../src/context/walk.js';
import { repoRoot } from '../helpers/paths.js';

const fixtures = join(repoRoot(), 'fixtures', 'hostile', 'contexts');

describe('hostile contexts', () => {
  it('cases.json is exactly what make.mjs describes (no drift)', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hull-hostile-cases-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const r = spawnSync(process.execPath, [join(fixtures, 'make.mjs'), '--cases', dir]);
    assert.equal(r.status, 0, r.stderr.toString());
    const generated = await readFile(join(dir, 'cases.json'), 'utf8');
    assert.equal(await readFile(join(fixtures, 'cases.json'), 'utf8'), generated);
    const cases = JSON.parse(generated) as { name: string; expect: string; message?: string }[];
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
    for (const c of cases) assert.ok(c.expect === 'handled' || c.message !== undefined, `${c.name}: a rejection says what message to expect`);
  });

  /** Makes the named cases in a fresh directory; returns it. */
  async function make(t: TestContext, ...names: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hull-hostile-ctx-'));
    // rm(1): fs.rm cannot reach the bottom of a tree deeper than PATH_MAX.
    t.after(() => void spawnSync('rm', ['-rf', '--', dir]));
    const r = spawnSync(process.execPath, [join(fixtures, 'make.mjs'), dir, ...names]);
    assert.equal(r.status, 0, r.stderr.toString());
    return dir;
  }

  it('a .dockerignore that is a FIFO is refused at once, not read (which would wait forever)', async (t) => {
    const dir = await make(t, 'dockerignore-fifo');
    await assert.rejects(openContext(join(dir, 'dockerignore-fifo', 'ctx')), (err: unknown) => {
      assert.ok(err instanceof ContextError, String(err));
      assert.match(err.message, /\.dockerignore is not a regular file/);
      return true;
    });
  });

  it('a path longer than PATH_MAX is a ContextError naming it, not a bare ENAMETOOLONG', async (t) => {
    const dir = await make(t, 'too-long-path');
    const walk = async (): Promise<void> => {
      for await (const entry of walkContext(join(dir, 'too-long-path', 'ctx'))) void entry;
    };
    await assert.rejects(walk(), (err: unknown) => {
      assert.ok(err instanceof ContextError, String(err));
      assert.match(err.message, /^context path 'deep\/n+\/.*': path is too long/);
      return true;
    });
  });
});
