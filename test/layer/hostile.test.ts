import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as errors from '../../src/errors.js';
import type { ExtractOptions } from '../../src/layer/index.js';
import { repoRoot } from '../helpers/paths.js';
import { checkOnDisk, type FileCheck } from '../helpers/hostile.js';
import { describeTree, extractFile, hasTool, isRoot, sha256File, tempDir } from './helpers.js';

interface Case {
  file: string;
  description: string;
  options?: ExtractOptions;
  expect: 'rejected' | 'handled';
  error?: keyof typeof errors;
  message?: string;
  files?: Record<string, FileCheck>;
  /** How the whole product uses the archive with this outcome (test/integration/hostile.test.ts). */
  uses?: ('base' | 'add')[];
  /** false: an outcome of the product only, not of the extractor alone. */
  extractor?: boolean;
}

const fixtures = join(repoRoot(), 'fixtures', 'hostile', 'tars');
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
    assert.ok(cases.length >= 30 && new Set(cases.map((c) => c.file)).size >= 30);
  });

  for (const c of cases.filter((k) => k.extractor !== false)) {
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
          // Without root, device nodes are skipped (with a warning) rather than made.
          if ((want.type === 'char' || want.type === 'block') && !isRoot) continue;
          // getfattr comes with the attr package, which test/setup.sh installs.
          const check = hasTool('getfattr') ? want : { ...want, xattrs: undefined };
          assert.deepEqual(checkOnDisk(join(target, path), check), [], path);
        }
      }
      assert.deepEqual(describeTree(join(dir, 'sentinel')), before, 'the sentinel next to the target is untouched');
      assert.deepEqual(readdirSync(dir).sort(), ['sentinel', 'target'], 'nothing created next to the target');
      for (const p of OUTSIDE) assert.ok(!existsSync(p), `${p} was created`);
    });
  }

  it("a layer whose content is not the diffID it is extracted for is refused (it must not be filed under another layer's name)", async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const claimed = sha256File(join(fixtures, 'absolute.tar'));
    const actual = sha256File(join(fixtures, 'duplicates.tar'));
    await assert.rejects(extractFile(join(fixtures, 'duplicates.tar'), join(dir, 'target'), { diffID: claimed }), (e: unknown) => {
      assert.ok(e instanceof errors.LayerError, String(e));
      assert.match((e as Error).message, new RegExp(`diffID ${actual}, not the ${claimed}`));
      return true;
    });
    await extractFile(join(fixtures, 'absolute.tar'), join(dir, 'honest'), { diffID: claimed });
  });
});
