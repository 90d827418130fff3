import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, ParseError } from '../../../src/errors.js';
import { isValidSignal } from '../../../src/build/instructions/index.js';
import { build, createdBy, scratch } from './helpers.js';

describe('LABEL', () => {
  it('expands, accumulates and inherits the base labels (BEHAVIOURS 27)', () => {
    const b = build('FROM scratch\nARG V=1.0\nLABEL version=$V "a b"="c d"\nLABEL version=2\n', { base: scratch({ Labels: { base: 'yes' } }) });
    assert.deepEqual(b.config.Labels, { base: 'yes', version: '2', 'a b': 'c d' });
    assert.deepEqual(createdBy(b).slice(1), ['LABEL version=1.0 a b=c d', 'LABEL version=2']);
  });
});

describe('EXPOSE', () => {
  it('means tcp by default and expands ranges to each port (BEHAVIOURS 24)', () => {
    const b = build('FROM scratch\nARG P=443\nEXPOSE 80 $P/udp 8000-8002/TCP\n');
    assert.deepEqual(Object.keys(b.config.ExposedPorts ?? {}), ['80/tcp', '443/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    assert.equal(createdBy(b)[1], 'EXPOSE [80/tcp 443/udp 8000/tcp 8001/tcp 8002/tcp]');
    assert.equal(b.history[1]!.empty_layer, true);
  });

  it('splits an expansion into several ports, as BuildKit does', () => {
    const b = build('FROM scratch\nARG PORTS="80 81"\nEXPOSE $PORTS\n');
    assert.deepEqual(Object.keys(b.config.ExposedPorts ?? {}), ['80/tcp', '81/tcp']);
  });

  it('rejects an invalid port after expansion, at its word', () => {
    assert.throws(
      () => build('FROM scratch\nARG P=99999\nEXPOSE 80 $P\n'),
      (e: unknown) => e instanceof ParseError && e.line === 3 && e.column === 11 && /at most 65535/.test(e.reason),
    );
    assert.throws(() => build('FROM scratch\nARG P=80/xyz\nEXPOSE $P\n'), (e: unknown) => e instanceof ParseError && /unknown protocol/.test(e.reason));
  });
});

describe('VOLUME', () => {
  it('accepts JSON and words, expanded, into the set (BEHAVIOURS 25)', () => {
    const b = build('FROM scratch\nENV D=/data\nVOLUME ["$D", "/logs"]\nVOLUME /a /b\n');
    assert.deepEqual(Object.keys(b.config.Volumes ?? {}), ['/data', '/logs', '/a', '/b']);
    assert.deepEqual(createdBy(b).slice(1), ['VOLUME [/data /logs]', 'VOLUME [/a /b]']);
  });

  it('rejects a path that expands to nothing', () => {
    assert.throws(() => build('FROM scratch\nVOLUME $NOPE\n'), (e: unknown) => e instanceof GraphError && e.line === 2);
  });
});

describe('USER', () => {
  it('stores the expanded user string (BEHAVIOURS 31)', () => {
    const b = build('FROM scratch\nARG UID=1000\nUSER $UID:staff\n');
    assert.equal(b.config.User, '1000:staff');
    assert.equal(createdBy(b)[1], 'USER 1000:staff');
  });
});

describe('STOPSIGNAL', () => {
  it('stores a name or number as written', () => {
    const b = build('FROM scratch\nARG S=SIGQUIT\nSTOPSIGNAL $S\n');
    assert.equal(b.config.StopSignal, 'SIGQUIT');
    assert.equal(createdBy(b)[1], 'STOPSIGNAL SIGQUIT');
    assert.equal(build('FROM scratch\nSTOPSIGNAL 9\n').config.StopSignal, '9');
  });

  it('validates like Docker: names with or without SIG, any case, RT signals, non-zero numbers', () => {
    for (const ok of ['SIGTERM', 'term', 'SIGRTMIN+3', 'RTMAX-2', '15', '64']) assert.ok(isValidSignal(ok), ok);
    for (const bad of ['SIGFOO', '0', '', 'SIG', 'RTMIN+16', '1.5']) assert.ok(!isValidSignal(bad), bad);
  });

  it('rejects a bad signal at its word', () => {
    assert.throws(
      () => build('FROM scratch\nSTOPSIGNAL SIGNOPE\n'),
      (e: unknown) => e instanceof GraphError && e.line === 2 && e.column === 12 && /not a signal/.test(e.reason),
    );
  });
});

describe('MAINTAINER, SHELL, ONBUILD', () => {
  it('MAINTAINER sets the top-level author (BEHAVIOURS 28)', () => {
    const b = build('FROM scratch\nMAINTAINER Jane Doe <jane@example.com>\n');
    assert.equal(b.image.author, 'Jane Doe <jane@example.com>');
    assert.equal(createdBy(b)[0], 'MAINTAINER Jane Doe <jane@example.com>');
  });

  it('SHELL is stored and printed as a Go list', () => {
    const b = build('FROM scratch\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n');
    assert.deepEqual(b.config.Shell, ['/bin/bash', '-eo', 'pipefail', '-c']);
    assert.equal(createdBy(b)[0], 'SHELL [/bin/bash -eo pipefail -c]');
  });

  it('ONBUILD stores the trigger text, unexpanded, and adds no history as in BuildKit (BEHAVIOURS 30)', () => {
    const b = build('FROM scratch\nONBUILD RUN echo $HOME\nonbuild COPY . /app\n');
    assert.deepEqual(b.config.OnBuild, ['RUN echo $HOME', 'COPY . /app']);
    assert.deepEqual(b.history, []);
    assert.equal(b.outcomes[0]!.history, undefined);
    assert.equal(b.outcomes[0]!.layer, 'none');
  });
});
