// --progress=tty: buildx's live block, redrawn in place, cut to the terminal's size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { createRenderer, type Renderer } from '../../src/progress/index.js';
import { at, end, log, start, status } from './events.js';

/** A renderer on a fake clock, and what it drew last, as the terminal would show it. */
function terminal(options: { columns?: number; rows?: number } = {}) {
  let clock = at(0);
  let screen = '';
  const renderer: Renderer = createRenderer('tty', (text) => void (screen += text), { columns: 80, ...options, now: () => clock });
  return {
    feed(ms: number, ...events: BuildEvent[]) {
      clock = at(ms);
      for (const event of events) renderer.onEvent(event);
    },
    finish: () => renderer.finish(),
    get screen() {
      return screen;
    },
    /** The lines of the latest draw (and what follows it), without colors and cursor moves. */
    get shown(): string[] {
      const latest = screen.split(/\x1b\[\d+A/).pop()!;
      return latest.replace(/\r|\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').slice(0, -1);
    },
  };
}

/** A vertex or sub-task line on an 80-column terminal: the time ends at column 79. */
const row = (left: string, time: string): string => left.padEnd(79 - time.length) + time;

test('a header with time and count, a line per vertex with its time, the running one\'s last output under it', () => {
  const t = terminal();
  t.feed(0, start(1, '[internal] load build definition from Dockerfile', 0));
  t.feed(30, end(1, 30), start(2, '[build 1/2] FROM docker.io/library/alpine', 30), end(2, 30, { cached: true }));
  t.feed(50, start(3, '[build 2/2] RUN make', 50), ...Array.from({ length: 8 }, (_, i) => log(3, `line ${i + 1}\n`, 50)), log(3, 'partial', 50));
  t.feed(3250, status(3, 'sha256:abcd', 3250, { current: 1_050_000, total: 3_200_000 }));
  assert.deepEqual(t.shown, [
    '[+] Building 3.3s (2/3)',
    row(' => [internal] load build definition from Dockerfile', '0.0s'),
    row(' => CACHED [build 1/2] FROM docker.io/library/alpine', '0.0s'),
    row(' => [build 2/2] RUN make', '3.2s'),
    row(' => => sha256:abcd 1.05MB / 3.20MB', '0.0s'),
    // The last six lines, the one still being written included.
    ' => => # line 4',
    ' => => # line 5',
    ' => => # line 6',
    ' => => # line 7',
    ' => => # line 8',
    ' => => # partial',
  ]);
  for (const line of t.shown) assert.equal(line.length <= 79, true, 'the last column stays free');
  t.finish();
});

test('redraws in place at most every 100 ms; the last draw is whole, FINISHED, without output tails', () => {
  const t = terminal();
  t.feed(0, start(1, '[build 1/1] RUN make', 0));
  const first = t.screen;
  t.feed(40, log(1, 'compiling\n', 40));
  assert.equal(t.screen, first, 'too soon to draw again');
  t.feed(150, log(1, 'linking\n', 150));
  assert.match(t.screen.slice(first.length), /^\x1b\[2A/, 'back up over the header and the vertex line');
  t.feed(200, end(1, 200));
  t.finish();
  assert.deepEqual(t.shown, ['[+] Building 0.2s (1/1) FINISHED', row(' => [build 1/1] RUN make', '0.2s')]);
  assert.match(t.screen, /\x1b\[J$/, 'the tail under the vertex is erased');
});

test('a failed step is marked ERROR and its last lines follow the block', () => {
  const t = terminal();
  t.feed(0, start(7, '[stage-1 3/3] RUN false', 0), log(7, 'some output\n', 120));
  t.feed(300, end(7, 300, { error: 'exit code: 1' }), { kind: 'warning', message: 'a warning', location: 'Dockerfile:2', time: at(300) });
  t.finish();
  assert.deepEqual(t.shown, [
    '[+] Building 0.3s (1/1) FINISHED',
    row(' => ERROR [stage-1 3/3] RUN false', '0.3s'),
    ' => WARN: a warning (Dockerfile:2)',
    '------',
    ' > [stage-1 3/3] RUN false:',
    '0.120 some output',
    '------',
    '',
    ' 1 warning found:',
    ' - a warning (Dockerfile:2)',
  ]);
});

test('every line is cut to the terminal\'s width; program output loses its colors and carriage returns', () => {
  const t = terminal({ columns: 40 });
  t.feed(0, start(1, `[build 1/1] RUN ${'very-long-command '.repeat(5)}`, 0));
  t.feed(400, log(1, `\x1b[32mgreen\x1b[0m\t${'x'.repeat(60)}\n10%\r50%\r`, 400));
  t.feed(500, status(1, 'sha256:abcd', 500, { current: 1, total: 2_000_000 }));
  const shown = t.shown;
  assert.equal(shown.length, 5);
  for (const line of shown) assert.equal(line.length <= 39, true, `${JSON.stringify(line)} fits 40 columns`);
  assert.equal(shown[1], ' => [build 1/1] RUN very-long-comm 0.5s');
  assert.equal(shown[2], ' => => sha256:abcd 1B / 2.00MB     0.0s');
  assert.equal(shown[3], ` => => # green ${'x'.repeat(24)}`);
  assert.equal(shown[4], ' => => # 50%');
  t.finish();
});

test('live, the block fits the screen: finished vertices give way to running ones', () => {
  const t = terminal({ rows: 6 });
  const done = Array.from({ length: 10 }, (_, i) => [start(i + 1, `[build ${i + 1}/11] RUN true`, 0), end(i + 1, 0)]).flat();
  t.feed(0, ...done);
  t.feed(500, start(11, '[build 11/11] RUN make', 500));
  t.feed(600, log(11, 'working\n', 600));
  assert.equal(t.shown.length, 5, 'header and rows - 2 lines: the cursor can still reach the top');
  assert.equal(t.shown[0], '[+] Building 0.6s (10/11)');
  assert.deepEqual(t.shown.slice(-2), [row(' => [build 11/11] RUN make', '0.1s'), ' => => # working']);
  t.finish();
  assert.equal(t.shown.length, 12, 'the last draw lists every vertex');
});
