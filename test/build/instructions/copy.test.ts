import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../../src/errors.js';
import type { CopyRequest } from '../../../src/build/instructions/index.js';
import { build, createdBy } from './helpers.js';

function copyOf(b: ReturnType<typeof build>, i: number): CopyRequest {
  const layer = b.outcomes[i]!.layer;
  assert.ok(layer !== 'none' && (layer.kind === 'copy' || layer.kind === 'add'));
  return layer;
}

describe('COPY', () => {
  it('resolves a relative destination against WORKDIR, keeping a trailing / (BEHAVIOURS 12, 13)', () => {
    const b = build('FROM scratch\nWORKDIR /app\nCOPY a.txt b/ .\nCOPY x sub\n');
    const first = copyOf(b, 1);
    assert.deepEqual(first.sources, [{ kind: 'path', path: 'a.txt', unpack: false }, { kind: 'path', path: 'b/', unpack: false }]);
    assert.equal(first.dest, '/app/');
    assert.equal(first.destIsDir, true);
    assert.equal(copyOf(b, 2).dest, '/app/sub');
    assert.equal(copyOf(b, 2).destIsDir, false);
    assert.deepEqual(createdBy(b).slice(1), ['COPY a.txt b/ . # buildkit', 'COPY x sub # buildkit']);
  });

  it('expands sources, dest and flags; history shows --chown/--chmod, not --from/--link (BEHAVIOURS 6, 29)', () => {
    const b = build('FROM scratch AS src\nFROM scratch\nARG U=app F=src\nCOPY --from=$F --link --chown=$U:$U --chmod=640 /out/$U /dst/\n');
    const r = copyOf(b, 1);
    assert.equal(r.from, 'src');
    assert.equal(r.chown, 'app:app');
    assert.deepEqual(r.chmod, { kind: 'octal', mode: 0o640 });
    assert.equal(r.link, true);
    assert.equal(createdBy(b)[1], 'COPY --chown=app:app --chmod=640 /out/app /dst/ # buildkit');
    assert.equal(b.history[1]!.empty_layer, undefined);
  });

  it('takes a symbolic --chmod, keeping it as written in history', () => {
    const b = build('FROM scratch\nARG M=u+x\nCOPY --chmod=$M,go-w a /a\n');
    const r = copyOf(b, 1);
    assert.deepEqual(r.chmod, { kind: 'symbolic', text: 'u+x,go-w', ops: [{ op: '+', bits: 0o100 }, { op: '-', bits: 0o022 }] });
    assert.equal(createdBy(b)[1], 'COPY --chmod=u+x,go-w a /a # buildkit');
  });

  it('needs a directory destination for several sources (BEHAVIOURS 12)', () => {
    assert.throws(() => build('FROM scratch\nCOPY a b /dst\n'), (e: unknown) => e instanceof GraphError && e.line === 2 && e.column === 10);
  });

  it('refuses a URL and a bad --chmod after expansion', () => {
    assert.throws(() => build('FROM scratch\nCOPY https://example.com/f /f\n'), (e: unknown) => e instanceof GraphError && /use ADD/.test(e.reason));
    assert.throws(() => build('FROM scratch\nARG M=999\nCOPY --chmod=$M a /a\n'), (e: unknown) => e instanceof GraphError && /octal/.test(e.reason));
  });

  it('copies heredocs as files, expanded unless quoted, listed after paths in history', () => {
    const b = build("FROM scratch\nARG N=world\nCOPY <<A <<'B' /etc/\nhello $N\nA\nbye $N\nB\n");
    const r = copyOf(b, 1);
    assert.deepEqual(r.sources, [
      { kind: 'heredoc', name: 'A', content: 'hello world\n', mode: 0o644 },
      { kind: 'heredoc', name: 'B', content: 'bye $N\n', mode: 0o644 },
    ]);
    assert.equal(createdBy(b)[1], 'COPY <<A <<B /etc/ # buildkit');
  });
});

describe('ADD', () => {
  it('extracts local archives by default, never URLs unless asked (BEHAVIOURS 17)', () => {
    const b = build('FROM scratch\nADD app.tar.gz https://example.com/x.tar.gz /opt/\nADD --unpack=false a.tar /b\n');
    assert.deepEqual(copyOf(b, 0).sources, [
      { kind: 'path', path: 'app.tar.gz', unpack: true },
      { kind: 'url', url: 'https://example.com/x.tar.gz', unpack: false },
    ]);
    assert.deepEqual(copyOf(b, 1).sources, [{ kind: 'path', path: 'a.tar', unpack: false }]);
    assert.equal(createdBy(b)[0], 'ADD app.tar.gz https://example.com/x.tar.gz /opt/ # buildkit');
  });

  it('checks --checksum: one URL source and a digest', () => {
    const sum = `sha256:${'a'.repeat(64)}`;
    const b = build(`FROM scratch\nADD --checksum=${sum} https://example.com/f /f\n`);
    assert.equal(copyOf(b, 0).checksum, sum);
    assert.throws(() => build(`FROM scratch\nADD --checksum=${sum} local /f\n`), (e: unknown) => e instanceof GraphError && /HTTP/.test(e.reason));
    assert.throws(() => build('FROM scratch\nARG S=md5:x\nADD --checksum=$S https://e.com/f /f\n'), (e: unknown) => e instanceof GraphError && /digest/.test(e.reason));
  });
});
