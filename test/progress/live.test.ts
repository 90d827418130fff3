// LiveBlock: lines redrawn in place, at most every 100 ms of moving state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveBlock } from '../../src/progress/live.js';

test('redraws from the first line and erases what a shorter block leaves under it', () => {
  let clock = 0;
  const writes: string[] = [];
  const block = new LiveBlock((text) => void writes.push(text), () => clock);
  assert.equal(block.due, true);
  block.draw(['a', 'b', 'c']);
  assert.equal(block.due, false);
  clock = 100;
  assert.equal(block.due, true);
  block.draw(['a', 'b2']);
  assert.deepEqual(writes, ['\r\x1b[2Ka\n\r\x1b[2Kb\n\r\x1b[2Kc\n', '\x1b[3A\r\x1b[2Ka\n\r\x1b[2Kb2\n\x1b[J']);
});
