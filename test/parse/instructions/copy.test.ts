import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChmod } from '../../../src/parse/instructions/index.js';
import { oneOf, rejects } from './helpers.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('COPY', () => {
  it('reads sources and destination', () => {
    const copy = oneOf('COPY a.txt b/ /dest/', 'copy');
    assert.deepEqual(copy.sources.map((s) => [s.kind, s.word.value]), [
      ['path', 'a.txt'],
      ['path', 'b/'],
    ]);
    assert.equal(copy.dest.value, '/dest/');
    assert.equal(copy.link, false);
    assert.equal(copy.parents, false);
    assert.deepEqual(copy.exclude, []);
  });

  it('reads the JSON form', () => {
    const copy = oneOf('COPY ["a b", "/c d/"]', 'copy');
    assert.equal(copy.sources[0]!.word.value, 'a b');
    assert.equal(copy.dest.value, '/c d/');
  });

  it('reads every COPY flag', () => {
    const copy = oneOf(
      'COPY --from=builder --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp/ src /dst',
      'copy',
    );
    assert.equal(copy.from?.value, 'builder');
    assert.equal(copy.chown?.value, 'app:app');
    assert.equal(copy.chmod?.value, '0755');
    assert.equal(copy.link, true);
    assert.equal(copy.parents, true);
    assert.deepEqual(copy.exclude.map((w) => w.value), ['*.md', 'tmp/']);
    assert.deepEqual(copy.from?.range.start, { line: 1, column: 6 });
  });

  it('reads --link=false and --link=TRUE', () => {
    assert.equal(oneOf('COPY --link=false a b', 'copy').link, false);
    assert.equal(oneOf('COPY --link=TRUE a b', 'copy').link, true);
  });

  it('treats heredocs as sources', () => {
    const copy = oneOf('COPY <<EOF <<-"TWO" /etc/\none $X\nEOF\n\ttwo\nTWO', 'copy');
    assert.equal(copy.sources.length, 2);
    const [a, b] = copy.sources;
    assert.ok(a?.kind === 'heredoc' && b?.kind === 'heredoc');
    assert.deepEqual([a.file.name, a.file.content, a.file.expand], ['EOF', 'one $X\n', true]);
    assert.deepEqual([b.file.name, b.file.content, b.file.expand], ['TWO', 'two\n', false]);
  });

  it('accepts a heredoc as the only source', () => {
    const copy = oneOf('COPY <<EOF /hello\nhi\nEOF', 'copy');
    assert.equal(copy.sources[0]!.kind, 'heredoc');
    assert.equal(copy.dest.value, '/hello');
  });

  it('leaves an --chmod holding a variable for after expansion', () => {
    assert.equal(oneOf('COPY --chmod=$MODE a b', 'copy').chmod?.value, '$MODE');
  });

  it('rejects a missing destination', () => {
    rejects(
      'COPY onlyone',
      1,
      6,
      'COPY requires at least two arguments, a source and a destination: COPY <src>... <dest>',
    );
    rejects('COPY', 1, 1, 'COPY requires at least two arguments, a source and a destination: COPY <src>... <dest>');
  });

  it('rejects a heredoc as destination', () => {
    rejects('COPY a <<EOF\nx\nEOF', 1, 8, 'COPY cannot take a heredoc as its destination');
  });

  it('rejects a bad --chmod', () => {
    const bad = (v: string): string => `--chmod=${v} is neither an octal mode (such as 755 or 0644) nor a symbolic one (such as u+x, go-w or u=rwx,g=rx,o=)`;
    rejects('COPY --chmod=rwx a b', 1, 6, bad('rwx'));
    rejects('COPY --chmod=17777 a b', 1, 6, bad('17777'));
    rejects('COPY --chmod=u+q a b', 1, 6, bad('u+q'));
  });

  it('accepts a symbolic --chmod (Dockerfile 1.7+)', () => {
    assert.equal(oneOf('COPY --chmod=u=rwx,g=rx,o= a b', 'copy').chmod?.value, 'u=rwx,g=rx,o=');
    assert.equal(oneOf('ADD --chmod=+X a b', 'add').chmod?.value, '+X');
  });

  it('rejects ADD-only flags', () => {
    rejects(`COPY --checksum=${DIGEST} a b`, 1, 6, '--checksum is only valid for ADD, not COPY');
    rejects('COPY --keep-git-dir a b', 1, 6, '--keep-git-dir is only valid for ADD, not COPY');
    rejects('COPY --unpack a b', 1, 6, '--unpack is only valid for ADD, not COPY');
  });

  it('rejects unknown, duplicated and malformed flags', () => {
    rejects(
      'COPY --form=a a b',
      1,
      6,
      'unknown flag --form for COPY (did you mean --from?); COPY accepts --chown, --chmod, --link, --exclude, --from, --parents',
    );
    rejects('COPY --from=a --from=b a b', 1, 15, '--from is given more than once; COPY takes it once');
    rejects('COPY --from a b', 1, 6, '--from needs a value: --from=<value>');
    rejects('COPY --from= a b', 1, 6, '--from= has an empty value: give --from=<value> or leave the flag out');
    rejects('COPY --link=yes a b', 1, 6, '--link takes true or false, not "yes"');
    rejects('COPY --link= a b', 1, 6, '--link= has an empty value: write --link, --link=true or --link=false');
  });
});

describe('ADD', () => {
  it('reads ADD-only flags', () => {
    const add = oneOf(`ADD --checksum=${DIGEST} --keep-git-dir=true --unpack=false https://example.com/a.tgz /a`, 'add');
    assert.equal(add.checksum?.value, DIGEST);
    assert.equal(add.keepGitDir, true);
    assert.equal(add.unpack, false);
  });

  it('shares the COPY flags it has', () => {
    const add = oneOf('ADD --chown=1:1 --chmod=644 --link --exclude=x a.tar /', 'add');
    assert.equal(add.chown?.value, '1:1');
    assert.equal(add.chmod?.value, '644');
    assert.equal(add.link, true);
    assert.deepEqual(add.exclude.map((w) => w.value), ['x']);
    assert.equal(add.unpack, undefined);
    assert.equal(add.keepGitDir, false);
  });

  it('rejects COPY-only flags with a hint', () => {
    rejects('ADD --from=a x y', 1, 5, '--from is only valid for COPY: use COPY --from=<stage|image> to copy out of another stage or image');
    rejects('ADD --parents x y', 1, 5, '--parents is only valid for COPY, not ADD');
  });

  it('rejects a malformed checksum but defers one with a variable', () => {
    rejects('ADD --checksum=md5:abc https://x/y /z', 1, 5, '--checksum=md5:abc is not a digest such as sha256:<64 hex digits>');
    assert.equal(oneOf('ADD --checksum=$SUM https://x/y /z', 'add').checksum?.value, '$SUM');
  });

  it('rejects a missing destination', () => {
    rejects('ADD x', 1, 5, 'ADD requires at least two arguments, a source and a destination: ADD <src>... <dest>');
  });
});

describe('parseChmod', () => {
  it('reads octal modes up to 07777', () => {
    assert.deepEqual(parseChmod('755'), { kind: 'octal', mode: 0o755 });
    assert.deepEqual(parseChmod('0644'), { kind: 'octal', mode: 0o644 });
    assert.deepEqual(parseChmod('7777'), { kind: 'octal', mode: 0o7777 });
    assert.deepEqual(parseChmod('00000755'), { kind: 'octal', mode: 0o755 });
    assert.deepEqual(parseChmod('0'), { kind: 'octal', mode: 0 });
    for (const bad of ['8', '9', '17777', '0755x', '01000000000000000007777']) assert.equal(parseChmod(bad), undefined, bad);
  });

  it('reads symbolic modes as BuildKit does (umask 0, BSD setmode)', () => {
    assert.deepEqual(parseChmod('u+x'), { kind: 'symbolic', text: 'u+x', ops: [{ op: '+', bits: 0o100 }] });
    assert.deepEqual(parseChmod('go-w'), { kind: 'symbolic', text: 'go-w', ops: [{ op: '-', bits: 0o022 }] });
    // `=` clears the classes first; no class written means every class
    assert.deepEqual(parseChmod('=r'), { kind: 'symbolic', text: '=r', ops: [{ op: '-', bits: 0o6777 }, { op: '+', bits: 0o444 }] });
    // `X` only counts with `+`; `u`, `g`, `o` as permissions copy a class
    assert.deepEqual(parseChmod('u-X'), { kind: 'symbolic', text: 'u-X', ops: [] });
    assert.deepEqual(parseChmod('go=u-w'), {
      kind: 'symbolic',
      text: 'go=u-w',
      ops: [
        { op: 'copy', from: 'u', to: ['g', 'o'], how: '=' },
        { op: '-', bits: 0o022 },
      ],
    });
    for (const ok of ['+', '-', '=', 'a+rwxXst', 'u=rwx,g=rx,o=', 'ug+s,o-t', '+X', 'u+x-w']) assert.ok(parseChmod(ok), ok);
  });

  it('refuses what BuildKit refuses', () => {
    for (const bad of ['', ',', 'u', 'go', 'z', 'q+r', 'u+x,', 'u+x,,g+w', 'rwx', 'u+q', '+0755', 'u+7']) assert.equal(parseChmod(bad), undefined, bad);
  });
});
