import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('HEALTHCHECK', () => {
  it('stores NONE as ["NONE"]', () => {
    assert.deepEqual(oneOf('HEALTHCHECK NONE', 'healthcheck').test, ['NONE']);
    assert.deepEqual(oneOf('HEALTHCHECK none', 'healthcheck').test, ['NONE']);
  });

  it('turns the shell form into CMD-SHELL', () => {
    const hc = oneOf('HEALTHCHECK CMD curl -f http://localhost/ || exit 1', 'healthcheck');
    assert.deepEqual(hc.test, ['CMD-SHELL', 'curl -f http://localhost/ || exit 1']);
    assert.equal(hc.interval, undefined);
    assert.equal(hc.retries, undefined);
  });

  it('keeps the exec form as CMD', () => {
    assert.deepEqual(oneOf('HEALTHCHECK CMD ["pg_isready", "-U", "postgres"]', 'healthcheck').test, ['CMD', 'pg_isready', '-U', 'postgres']);
  });

  it('reads every option, durations in nanoseconds', () => {
    const hc = oneOf(
      'HEALTHCHECK --interval=30s --timeout=1m30s --start-period=1.5h --start-interval=100ms --retries=3 CMD true',
      'healthcheck',
    );
    assert.equal(hc.interval, 30e9);
    assert.equal(hc.timeout, 90e9);
    assert.equal(hc.startPeriod, 5400e9);
    assert.equal(hc.startInterval, 100e6);
    assert.equal(hc.retries, 3);
  });

  it('accepts 0 as "the default"', () => {
    const hc = oneOf('HEALTHCHECK --interval=0 --retries=0 CMD true', 'healthcheck');
    assert.equal(hc.interval, 0);
    assert.equal(hc.retries, 0);
  });

  it('rejects durations that are too short, negative or malformed', () => {
    rejects(
      'HEALTHCHECK --interval=500us CMD true',
      1,
      13,
      '--interval=500µs is shorter than the minimum of 1ms; give a duration of at least 1ms (or 0 for the default)',
    );
    rejects(
      'HEALTHCHECK --timeout=-5s CMD true',
      1,
      13,
      '--timeout=-5s is negative; give a duration of at least 1ms (or 0 for the default)',
    );
    rejects('HEALTHCHECK --timeout=5 CMD true', 1, 13, '--timeout=5 is not a duration: write it like 30s, 1m30s, 1.5h or 100ms');
    rejects('HEALTHCHECK --start-period=1d CMD true', 1, 13, '--start-period=1d is not a duration: write it like 30s, 1m30s, 1.5h or 100ms');
  });

  it('rejects bad retries', () => {
    rejects('HEALTHCHECK --retries=-1 CMD true', 1, 13, '--retries cannot be negative (-1)');
    rejects('HEALTHCHECK --retries=many CMD true', 1, 13, '--retries=many is not a whole number');
  });

  it('rejects unknown options and types', () => {
    rejects(
      'HEALTHCHECK --intervall=1s CMD true',
      1,
      13,
      'unknown flag --intervall for HEALTHCHECK (did you mean --interval?); HEALTHCHECK accepts --interval, --timeout, --start-period, --start-interval, --retries',
    );
    rejects('HEALTHCHECK RUN true', 1, 13, 'unknown HEALTHCHECK type "RUN": use HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
  });

  it('rejects NONE with arguments or options', () => {
    rejects('HEALTHCHECK NONE true', 1, 18, 'HEALTHCHECK NONE takes no arguments');
    rejects('HEALTHCHECK --interval=5s NONE', 1, 13, 'HEALTHCHECK NONE takes no options, but --interval=5s was given');
  });

  it('rejects a missing command', () => {
    rejects('HEALTHCHECK', 1, 1, 'HEALTHCHECK requires at least one argument: HEALTHCHECK [options] CMD <command>, or HEALTHCHECK NONE');
    rejects('HEALTHCHECK CMD', 1, 16, 'HEALTHCHECK CMD needs a command to run');
    rejects('HEALTHCHECK CMD []', 1, 16, 'HEALTHCHECK CMD needs a command to run');
  });
});
