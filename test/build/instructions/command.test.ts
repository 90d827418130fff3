import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goQuote } from '../../../src/build/instructions/format.js';
import { build, createdBy, scratch } from './helpers.js';

describe('CMD and ENTRYPOINT', () => {
  it('wraps shell form in the default shell; JSON form kept (BEHAVIOURS 21)', () => {
    const b = build('FROM scratch\nCMD echo "$HOME"\nENTRYPOINT ["/tini", "--"]\n');
    assert.deepEqual(b.config.Cmd, ['/bin/sh', '-c', 'echo "$HOME"']);
    assert.deepEqual(b.config.Entrypoint, ['/tini', '--']);
    assert.equal(b.config.ArgsEscaped, true);
    assert.deepEqual(createdBy(b), ['CMD ["/bin/sh" "-c" "echo \\"$HOME\\""]', 'ENTRYPOINT ["/tini" "--"]']);
    assert.deepEqual(b.history.map((h) => h.empty_layer), [true, true]);
  });

  it('uses the current SHELL for shell form (BEHAVIOURS 21)', () => {
    const b = build('FROM scratch\nSHELL ["/bin/bash", "-c"]\nENTRYPOINT exec nginx\n');
    assert.deepEqual(b.config.Entrypoint, ['/bin/bash', '-c', 'exec nginx']);
  });

  it('ENTRYPOINT drops an inherited CMD (BEHAVIOURS 22)', () => {
    const b = build('FROM scratch\nENTRYPOINT ["app"]\n', { base: scratch({ Cmd: ['sh'] }) });
    assert.deepEqual(b.config.Entrypoint, ['app']);
    assert.equal(b.config.Cmd, undefined);
  });

  it('ENTRYPOINT keeps a CMD set earlier in the same stage; the last one counts (BEHAVIOURS 22, 23)', () => {
    const b = build('FROM scratch\nCMD ["a"]\nCMD ["b"]\nENTRYPOINT ["app"]\n', { base: scratch({ Cmd: ['sh'] }) });
    assert.deepEqual(b.config.Cmd, ['b']);
  });

  it('quotes like Go %q', () => {
    assert.equal(goQuote('a\tb\n"c"\\ é \x01 \u200b'), '"a\\tb\\n\\"c\\"\\\\ é \\x01 \\u200b"');
  });
});

describe('HEALTHCHECK', () => {
  it('stores durations in ns and CMD shell form as CMD-SHELL (BEHAVIOURS 26)', () => {
    const b = build('FROM scratch\nHEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://localhost/\n');
    assert.deepEqual(b.config.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30e9, Timeout: 90e9, Retries: 3 });
    assert.equal(
      createdBy(b)[0],
      'HEALTHCHECK {Test:[CMD-SHELL curl -f http://localhost/] Interval:30s Timeout:1m30s StartPeriod:0s StartInterval:0s Retries:3}',
    );
  });

  it('stores ["NONE"] and JSON form as CMD argv; the last one counts (BEHAVIOURS 23, 26)', () => {
    const b = build('FROM scratch\nHEALTHCHECK CMD ["/check", "-q"]\nHEALTHCHECK NONE\n');
    assert.deepEqual(b.config.Healthcheck, { Test: ['NONE'] });
    assert.equal(createdBy(b)[1], 'HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}');
    assert.deepEqual(build('FROM scratch\nHEALTHCHECK CMD ["/check", "-q"]\n').config.Healthcheck, { Test: ['CMD', '/check', '-q'] });
  });
});
