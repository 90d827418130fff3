import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as errors from '../../src/errors.js';
import type { ExtractOptions } from '../../src/layer/index.js';
import { repoRoot } from '../helpers/paths.js';
import { describeTree, extractFile, tempDir } from './helpers.js';

interface FileCheck {
  type: 'file' | 'dir' | 'symlink';
  content?: string;
  size?: number;
  linkname?: string;
}
interface Case {
  file: string;
  description: string;
  options?: ExtractOptions;
  expect: 'rejected' | 'handled';
  error?: keyof typeof errors;
  message?: string;
  files?: Record<string, FileCheck>;
}

const fixtures = join(repoRoot(), 'fixtures', 'hostile-tars');
const cases = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as Case[];

/** Names the hostile archives aim at outside the target; none may ever appear. */
const OUTSIDE = ['/etc/hull-evil', '/etc/hull-abs', '/etc/hull-nested', join(tmpdir(), 'hull-pax-evil'), join(tmpdir(), 'hull-gnu-evil'), join(tmpdir(), 'etc/hull-evil')];

function sentinel(dir: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'keep.txt'), 'keep me');
  writeFileSync(join(dir, 'sub/inner'), 'inner');
}

describe('hostile tarballs', () => {
  it('are exactly what make.mjs generates (no drift)', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const r = spawnSync(process.execPath, [join(fixtures, 'make.mjs'), dir], { cwd: repoRoot() });
    assert.equal(r.status, 0, r.stderr.toString());
    const generated = readdirSync(dir).sort();
    const committed = readdirSync(fixtures).filter((f) => f !== 'make.mjs').sort();
    assert.deepEqual(committed, generated);
    for (const f of generated) {
      const a = readFileSync(join(dir, f));
      const b = readFileSync(join(fixtures, f));
      // Compressed bytes depend on the zlib build; what the archive holds must not.
      if (f.endsWith('.gz')) assert.deepEqual(gunzipSync(b), gunzipSync(a), f);
      else assert.deepEqual(b, a, f);
    }
    assert.ok(cases.length >= 15 && new Set(cases.map((c) => c.file)).size >= 15);
  });

  for (const c of cases) {
    const mode = c.options?.whiteouts ? ` [${c.options.whiteouts}]` : '';
    it(`${c.file}${mode}: ${c.description} → ${c.expect}`, async (t) => {
      const { dir, cleanup } = await tempDir();
      t.after(cleanup);
      const target = join(dir, 'target');
      mkdirSync(target);
      sentinel(join(dir, 'sentinel'));
      const before = describeTree(join(dir, 'sentinel'));
      const run = extractFile(join(fixtures, c.file), target, c.options ?? {});
      if (c.expect === 'rejected') {
        await assert.rejects(run, (e: unknown) => {
          assert.ok(e instanceof errors[c.error!], `expected ${c.error}, got ${String(e)}`);
          assert.match((e as Error).message, new RegExp(c.message!));
          return true;
        });
      } else {
        await run;
        for (const [path, want] of Object.entries(c.files ?? {})) {
          const abs = join(target, path);
          const st = lstatSync(abs);
          const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
          assert.equal(type, want.type, path);
          if (want.content !== undefined) assert.equal(readFileSync(abs, 'utf8'), want.content, path);
          if (want.size !== undefined) assert.equal(st.size, want.size, path);
          if (want.linkname !== undefined) assert.equal(readlinkSync(abs), want.linkname, path);
        }
      }
      assert.deepEqual(describeTree(join(dir, 'sentinel')), before, 'the sentinel next to the target is untouched');
      assert.deepEqual(readdirSync(dir).sort(), ['sentinel', 'target'], 'nothing created next to the target');
      for (const p of OUTSIDE) assert.ok(!existsSync(p), `${p} was created`);
    });
  }
});
