// What hull push prints: settled plain lines for CI logs, live bars with bytes and speed on a terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainLine, TtyProgress } from '../../../src/cli/commands/push-progress.js';
import type { PushProgress } from '../../../src/registry/push.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const blob = (state: string, sent: number, extra: object = {}): PushProgress =>
  ({ kind: 'blob', digest: DIGEST, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 2_000_000, state, sent, ...extra }) as PushProgress;

test('plain lines say what happened to each blob, in docker\'s words', () => {
  assert.equal(plainLine(blob('pushed', 2_000_000)), 'abababababab: Pushed 2MB');
  assert.equal(plainLine(blob('exists', 0)), 'abababababab: Layer already exists');
  assert.equal(plainLine(blob('mounted', 0, { from: 'team/base' })), 'abababababab: Mounted from team/base');
  assert.equal(plainLine(blob('uploading', 10)), undefined);
});

test('on a terminal each blob keeps a row, redrawn in place with a bar, bytes and speed', async () => {
  let screen = '';
  const tty = new TtyProgress((t) => void (screen += t));
  tty.update(blob('checking', 0));
  // Moving rows are redrawn at most every 100 ms.
  await new Promise((r) => setTimeout(r, 120));
  tty.update(blob('uploading', 1_000_000));
  tty.update(blob('pushed', 2_000_000));
  tty.finish();
  assert.match(screen, /abababababab: Preparing/);
  assert.match(screen, /abababababab: Pushing \[=+>? *\] 1MB\/2MB [\d.]+[kMG]?B\/s/);
  assert.match(screen, /\x1b\[1A\r\x1b\[2Kabababababab: Pushed 2MB\n$/, 'the row is rewritten in place');
});
