// createRenderer: which renderer each --progress mode gets, json's events as they are, quiet's silence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { createRenderer, type ProgressMode } from '../../src/progress/index.js';
import { at, end, log, start, status } from './events.js';

const events: BuildEvent[] = [
  start(1, '[build 1/1] RUN make', 0),
  log(1, 'half a li', 10),
  status(1, 'sha256:abcd', 20, { current: 5, total: 10 }),
  { kind: 'warning', message: 'careful', location: 'Dockerfile:1', time: at(30) },
  end(1, 40, { error: 'exit code: 2' }),
];

function render(mode: ProgressMode, isTty?: boolean): string {
  let out = '';
  const renderer = createRenderer(mode, (text) => void (out += text), { ...(isTty !== undefined && { isTty }), columns: 80, now: () => at(50) });
  for (const event of events) renderer.onEvent(event);
  renderer.finish();
  return out;
}

test('json writes each event as one line of JSON, as it came', () => {
  const out = render('json');
  assert.equal(out.endsWith('\n'), true);
  assert.deepEqual(out.trimEnd().split('\n').map((line) => JSON.parse(line) as BuildEvent), events);
});

test('quiet writes nothing', () => {
  assert.equal(render('quiet'), '');
});

test('auto is tty on a terminal and plain elsewhere', () => {
  assert.match(render('auto', true), /\[\+\] Building/);
  assert.equal(render('auto', false), render('plain'));
  assert.match(render('plain'), /^#1 \[build 1\/1\] RUN make\n/);
});
