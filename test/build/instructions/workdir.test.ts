import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, createdBy, scratch } from './helpers.js';

describe('WORKDIR', () => {
  it('is relative to the previous one, expanded, and asks for the directory (BEHAVIOURS 19)', () => {
    const b = build('FROM scratch\nENV APP=app\nWORKDIR /srv\nWORKDIR $APP/../$APP/./sub\n');
    assert.equal(b.config.WorkingDir, '/srv/app/sub');
    assert.deepEqual(createdBy(b).slice(1), ['WORKDIR /srv', 'WORKDIR /srv/app/sub']);
    // A layer-making step: no empty_layer, and BuildKit writes no "# buildkit" here.
    assert.deepEqual(b.history.slice(1).map((h) => h.empty_layer), [undefined, undefined]);
    assert.deepEqual(b.outcomes[2]!.layer, { kind: 'mkdir', path: '/srv/app/sub', mode: 0o755, user: '' });
  });

  it('starts from the base WorkingDir and creates as the current USER', () => {
    const b = build('FROM scratch\nUSER 1000\nWORKDIR data\n', { base: scratch({ WorkingDir: '/home/u' }) });
    assert.deepEqual(b.outcomes[1]!.layer, { kind: 'mkdir', path: '/home/u/data', mode: 0o755, user: '1000' });
  });

  it('WORKDIR / makes no layer', () => {
    const b = build('FROM scratch\nWORKDIR /tmp/..\n');
    assert.equal(b.config.WorkingDir, '/');
    assert.equal(b.outcomes[0]!.layer, 'none');
    assert.equal(b.history[0]!.empty_layer, true);
  });
});
