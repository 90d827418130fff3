import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startKey, stepKey } from '../../src/cache/keys.js';

describe('step cache keys', () => {
  const base = { parent: 'p'.repeat(64), platform: 'linux/amd64', instruction: '["RUN",{"args":["make"]}]', env: ['A=1'] };

  it('are sha256 hex and stable for the same inputs', () => {
    assert.match(stepKey(base), /^[0-9a-f]{64}$/);
    assert.equal(stepKey(base), stepKey({ ...base }));
    assert.equal(stepKey(base), stepKey({ ...base, content: [] }), 'no content is empty content');
  });

  it('change with every input: parent, platform (a RUN never reuses another platform\'s result), instruction, env, content', () => {
    const keys = [
      stepKey(base),
      stepKey({ ...base, parent: 'q'.repeat(64) }),
      stepKey({ ...base, platform: 'linux/arm64' }),
      stepKey({ ...base, platform: 'linux/arm/v7' }),
      stepKey({ ...base, instruction: '["RUN",{"args":["make","all"]}]' }),
      stepKey({ ...base, env: ['A=2'] }),
      stepKey({ ...base, content: ['sha256:00'] }),
    ];
    assert.equal(new Set(keys).size, keys.length);
  });

  it('start keys tell scratch, images and stages apart, per platform', () => {
    const keys = [
      startKey({ scratch: true }, 'linux/amd64'),
      startKey({ scratch: true }, 'linux/arm64'),
      startKey({ image: 'sha256:aa' }, 'linux/amd64'),
      startKey({ stage: 'sha256:aa' }, 'linux/amd64'),
    ];
    assert.equal(new Set(keys).size, keys.length);
  });
});
