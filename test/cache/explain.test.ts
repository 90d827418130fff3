import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildRecord, StepRecord } from '../../src/cache/build-records.js';
import { explainMiss } from '../../src/cache/explain.js';

function step(index: number, key: string, more: Partial<StepRecord> = {}): StepRecord {
  return { stage: 'app', index, line: index + 1, text: `STEP ${index}`, key, parent: '', instruction: `i${index}`, env: {}, cached: false, ...more };
}

function previous(steps: StepRecord[]): BuildRecord {
  return { version: 1, dockerfile: '/ctx/Dockerfile', target: 'app', platform: 'linux/amd64', time: '2026-01-01T00:00:00Z', steps };
}

const file = (path: string, hash: string, mode = 0o644) => ({ path, type: 'file' as const, mode, hash });

describe('explainMiss', () => {
  const from = step(0, 'k0', { base: 'sha256:base' });

  it('names the changed file, with what changed about it', () => {
    const old = [from, step(1, 'k1', { files: [file('a.txt', 'x'), file('b.txt', 'y'), file('gone.txt', 'z')] })];
    const now = [from, step(1, 'k1b', { files: [file('a.txt', 'x2'), file('b.txt', 'y', 0o755), file('new.txt', 'n')] })];
    assert.equal(explainMiss(now[1]!, now, previous(old)), 'files changed: a.txt (content), b.txt (mode 644 → 755), new.txt (added), gone.txt (removed)');
  });

  it('names the build arg or env whose value changed, never the value', () => {
    const old = [from, step(1, 'k1', { env: { VERSION: 'h1', KEEP: 'h2' } })];
    const now = [from, step(1, 'k1b', { env: { VERSION: 'h9', KEEP: 'h2', EXTRA: 'h3' } })];
    assert.equal(explainMiss(now[1]!, now, previous(old)), 'build arg or env changed: VERSION, EXTRA (new)');
  });

  it('points at the earlier step whose change rebuilt this one', () => {
    const old = [from, step(1, 'k1', { files: [file('go.mod', 'a')] }), step(2, 'k2', { files: [] })];
    const now = [from, step(1, 'k1b', { files: [file('go.mod', 'b')] }), step(2, 'k2b', { files: [] })];
    assert.equal(explainMiss(now[2]!, now, previous(old)), 'an earlier step was rebuilt: line 2 (STEP 1): files changed: go.mod (content)');
  });

  it('names a new base image digest and an edited instruction', () => {
    const old = [from, step(1, 'k1')];
    const rebased = [step(0, 'k0b', { base: 'sha256:newer' }), step(1, 'k1b')];
    assert.equal(explainMiss(rebased[1]!, rebased, previous(old)), 'an earlier step was rebuilt: line 1 (STEP 0): the base image changed: now sha256:newer, was sha256:base');
    const edited = [from, step(1, 'k1b', { instruction: 'changed' })];
    assert.equal(explainMiss(edited[1]!, edited, previous(old)), 'the instruction changed at line 2: STEP 1');
  });

  it('says when the inputs are the same but the result is gone, and when there is nothing to compare', () => {
    const old = [from, step(1, 'k1')];
    assert.match(explainMiss(old[1]!, old, previous(old)), /same inputs as the previous build/);
    assert.equal(explainMiss(old[1]!, old, undefined), 'no previous build of this Dockerfile to compare with');
  });

  it('tells a rebuilt --from stage from a changed download', () => {
    const old = [from, step(1, 'k1', { content: ['from:aaa', 'sha256:dl1'] })];
    const fromChanged = [from, step(1, 'k1b', { content: ['from:bbb', 'sha256:dl1'] })];
    assert.match(explainMiss(fromChanged[1]!, fromChanged, previous(old)), /--from/);
    const downloadChanged = [from, step(1, 'k1c', { content: ['from:aaa', 'sha256:dl2'] })];
    assert.match(explainMiss(downloadChanged[1]!, downloadChanged, previous(old)), /a download or a git ref/);
  });
});
