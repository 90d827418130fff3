import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const SIZE = 384 * 2 ** 20;
/** Allowed growth over an idle process: a small fraction of the data that flows through. */
const BUDGET = 96 * 2 ** 20;

const here = fileURLToPath(import.meta.url);
const child = join(dirname(here), `memory-child${here.endsWith('.ts') ? '.ts' : '.js'}`);

function inChild(...args: string[]): { maxRSS: number; result: { diffID?: string; size?: number } } {
  // execArgv carries tsx's loader when the tests run from source.
  const r = spawnSync(process.execPath, [...process.execArgv, child, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { maxRSS: number; result: { diffID?: string; size?: number } };
}

describe('bounded memory', () => {
  it(`packs and extracts a ${SIZE / 2 ** 20} MiB (sparse) file without holding it`, { timeout: 180_000 }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'small'), 'small file');
    writeFileSync(join(src, 'big'), '');
    truncateSync(join(src, 'big'), SIZE);
    const idle = inChild('idle', '-', '-').maxRSS;
    const packed = inChild('pack', src, join(dir, 'layer.tgz'), 'gzip');
    t.diagnostic(`idle ${(idle / 2 ** 20).toFixed(0)} MiB, pack ${(packed.maxRSS / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(packed.maxRSS - idle < BUDGET, `packing grew RSS by ${((packed.maxRSS - idle) / 2 ** 20).toFixed(0)} MiB`);
    const out = join(dir, 'out');
    const extracted = inChild('extract', join(dir, 'layer.tgz'), out);
    t.diagnostic(`extract ${(extracted.maxRSS / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(extracted.maxRSS - idle < BUDGET, `extracting grew RSS by ${((extracted.maxRSS - idle) / 2 ** 20).toFixed(0)} MiB`);
    assert.equal(extracted.result.diffID, packed.result.diffID);
    assert.equal(statSync(join(out, 'big')).size, SIZE);
  });
});
