// --progress=plain: buildx's CI log format, line for line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { createRenderer } from '../../src/progress/index.js';
import { at, end, log, start, status } from './events.js';

function plain(events: BuildEvent[]): string {
  let out = '';
  const renderer = createRenderer('plain', (text) => void (out += text));
  for (const event of events) renderer.onEvent(event);
  renderer.finish();
  return out;
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

test('one vertex after another: DONE with its time, CACHED, ERROR and the failed step\'s last lines at the end', () => {
  const out = plain([
    start(1, '[internal] load build definition from Dockerfile', 0),
    end(1, 20),
    start(5, '[build 2/4] RUN make', 100),
    log(5, 'compiling…\n', 452),
    log(5, 'done\n', 1304),
    end(5, 1400),
    start(6, '[stage-1 2/3] COPY --from=build /out /app', 1500),
    end(6, 1500, { cached: true }),
    start(7, '[stage-1 3/3] RUN false', 1600),
    log(7, 'some output\n', 1720),
    end(7, 1800, { error: 'process "/bin/sh -c false" did not complete successfully: exit code: 1' }),
  ]);
  assert.equal(
    out,
    lines(
      '#1 [internal] load build definition from Dockerfile',
      '#1 DONE 0.0s',
      '',
      '#5 [build 2/4] RUN make',
      '#5 0.352 compiling…',
      '#5 1.204 done',
      '#5 DONE 1.3s',
      '',
      '#6 [stage-1 2/3] COPY --from=build /out /app',
      '#6 CACHED',
      '',
      '#7 [stage-1 3/3] RUN false',
      '#7 0.120 some output',
      '#7 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1',
      '------',
      ' > [stage-1 3/3] RUN false:',
      '0.120 some output',
      '------',
    ),
  );
});

test('parallel vertices interleave: the one left says `...`, the one resumed repeats its header', () => {
  const out = plain([
    start(5, '[build 2/4] RUN make', 0),
    log(5, 'compil', 352),
    start(6, '[stage-1 2/3] RUN fetch', 400),
    log(6, 'fetching\n', 500),
    log(5, 'ing…\nhalf', 600),
    end(6, 700),
    log(5, ' done\n', 1204),
    log(5, 'no newline at the end', 1300),
    end(5, 1400),
  ]);
  assert.equal(
    out,
    lines(
      '#5 [build 2/4] RUN make',
      '#5 ...',
      '',
      '#6 [stage-1 2/3] RUN fetch',
      '#6 0.100 fetching',
      '#6 ...',
      '',
      '#5 [build 2/4] RUN make',
      // A line is timed from its first piece; a partial line waits for its newline.
      '#5 0.352 compiling…',
      '#5 ...',
      '',
      '#6 [stage-1 2/3] RUN fetch',
      '#6 DONE 0.3s',
      '',
      '#5 [build 2/4] RUN make',
      '#5 0.600 half done',
      '#5 1.300 no newline at the end',
      '#5 DONE 1.4s',
    ),
  );
});

test('a vertex started beside a busy one is named when that one ends, even before it prints', () => {
  const out = plain([start(2, '[a 1/1] RUN sleep 1', 0), start(3, '[b 1/1] RUN sleep 5', 10), end(2, 1000), end(3, 5010)]);
  assert.equal(out, lines('#2 [a 1/1] RUN sleep 1', '#2 DONE 1.0s', '', '#3 [b 1/1] RUN sleep 5', '#3 DONE 5.0s'));
});

test('sub-tasks print sizes and times, a moving one at most once a second', () => {
  const layer = { text: 'sha256:abcd', total: 3_200_000 };
  const out = plain([
    start(3, '[build 1/4] FROM docker.io/library/alpine', 0),
    status(3, 'sha256:abcd', 400, { ...layer, current: 1_050_000 }),
    status(3, 'sha256:abcd', 800, { ...layer, current: 2_000_000 }),
    status(3, 'sha256:abcd', 1500, { ...layer, current: 3_000_000 }),
    status(3, 'sha256:abcd', 1600, { ...layer, current: 3_200_000, done: true }),
    status(3, 'extracting', 1700, { text: 'extracting sha256:abcd', current: 512 }),
    status(3, 'extracting', 1900, { text: 'extracting sha256:abcd', done: true }),
    end(3, 1950),
  ]);
  assert.equal(
    out,
    lines(
      '#3 [build 1/4] FROM docker.io/library/alpine',
      '#3 sha256:abcd 1.05MB / 3.20MB',
      '#3 sha256:abcd 3.00MB / 3.20MB 1.1s',
      '#3 sha256:abcd 3.20MB / 3.20MB 1.2s done',
      '#3 extracting sha256:abcd 512B',
      '#3 extracting sha256:abcd 0.2s done',
      '#3 DONE 1.9s',
    ),
  );
});

test('a partial line is printed at the end of the build; log offsets lose decimals as a step runs on', () => {
  const out = plain([start(4, '[build 3/4] RUN ./test', 0), log(4, 'twelve\n', 12_400), log(4, 'later\n', 181_230), log(4, 'still running', 200_000)]);
  assert.equal(out, lines('#4 [build 3/4] RUN ./test', '#4 12.40 twelve', '#4 181.2 later', '#4 200.0 still running'));
});

test('warnings print at once and again in a summary at the end', () => {
  const out = plain([
    start(1, '[internal] load build definition from Dockerfile', 0),
    { kind: 'warning', message: 'JSONArgsRecommended: JSON arguments recommended for CMD', location: 'Dockerfile:9', time: at(5) },
    { kind: 'warning', message: 'no location', time: at(6) },
    end(1, 50),
  ]);
  assert.equal(
    out,
    lines(
      '#1 [internal] load build definition from Dockerfile',
      'WARNING: JSONArgsRecommended: JSON arguments recommended for CMD (Dockerfile:9)',
      'WARNING: no location',
      '#1 DONE 0.1s',
      '',
      ' 2 warnings found:',
      ' - JSONArgsRecommended: JSON arguments recommended for CMD (Dockerfile:9)',
      ' - no location',
    ),
  );
});

test('events of a vertex that never started are left out', () => {
  assert.equal(plain([log(9, 'stray\n', 0), end(9, 10)]), '');
});
