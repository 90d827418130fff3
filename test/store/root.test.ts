import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveRoot, SYSTEM_ROOT } from '../../src/store/index.js';

describe('store root', () => {
  it('prefers --root, then HULL_ROOT', () => {
    assert.equal(resolveRoot({ root: '/srv/hull', env: { HULL_ROOT: '/other' }, uid: 0 }), '/srv/hull');
    assert.equal(resolveRoot({ env: { HULL_ROOT: '/other' }, uid: 1000 }), '/other');
    assert.equal(resolveRoot({ root: 'rel', env: {} }), `${process.cwd()}/rel`, 'a relative --root is taken from the working directory');
  });

  it('uses /var/lib/hull for root', () => {
    assert.equal(resolveRoot({ env: { XDG_DATA_HOME: '/x' }, uid: 0 }), SYSTEM_ROOT);
    assert.equal(SYSTEM_ROOT, '/var/lib/hull');
  });

  it('uses the XDG data directory for other users', () => {
    assert.equal(resolveRoot({ env: { XDG_DATA_HOME: '/home/u/data', HOME: '/home/u' }, uid: 1000 }), '/home/u/data/hull');
    assert.equal(resolveRoot({ env: { HOME: '/home/u' }, uid: 1000 }), '/home/u/.local/share/hull');
    assert.equal(resolveRoot({ env: { XDG_DATA_HOME: 'relative', HOME: '/home/u' }, uid: 1000 }), '/home/u/.local/share/hull', 'a relative XDG_DATA_HOME is ignored');
    assert.equal(resolveRoot({ env: { HULL_ROOT: '' }, uid: 1000, home: '/h' }), '/h/.local/share/hull', 'an empty HULL_ROOT is unset');
  });
});
