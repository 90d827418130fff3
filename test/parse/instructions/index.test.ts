import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTRUCTION_NAMES, toInstructions } from '../../../src/parse/instructions/index.js';
import { parseDockerfile } from '../../../src/parse/parser.js';
import { ParseError } from '../../../src/errors.js';
import { rejects } from './helpers.js';

describe('toInstruction', () => {
  it('knows every Dockerfile instruction', () => {
    assert.deepEqual([...INSTRUCTION_NAMES].sort(), [
      'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
      'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
    ]);
  });

  it('accepts keywords in any case', () => {
    const ins = toInstructions(parseDockerfile('from alpine\nRun true\nwOrKdIr /x'));
    assert.deepEqual(ins.map((i) => i.kind), ['from', 'run', 'workdir']);
  });

  it('rejects unknown instructions with a suggestion when one is close', () => {
    rejects('RUNN echo', 1, 1, 'unknown instruction: RUNN (did you mean RUN?)');
    rejects('FROM a\n  ENTRYPIONT x', 2, 3, 'unknown instruction: ENTRYPIONT (did you mean ENTRYPOINT?)');
    rejects('cpy a b', 1, 1, 'unknown instruction: CPY (did you mean COPY?)');
    rejects('WORKDR /a', 1, 1, 'unknown instruction: WORKDR (did you mean WORKDIR?)');
    rejects('BLAH world', 1, 1, 'unknown instruction: BLAH');
    rejects('HELLO world', 1, 1, 'unknown instruction: HELLO (did you mean SHELL?)');
  });

  it('names the file given to the parser', () => {
    const df = parseDockerfile('FROM a\nFOO', { file: 'build/Dockerfile.dev' });
    assert.throws(
      () => toInstructions(df),
      (e: unknown) => e instanceof ParseError && e.message === 'build/Dockerfile.dev:2:1: unknown instruction: FOO',
    );
  });

  it('keeps the raw node on each instruction', () => {
    const [from, run] = toInstructions(parseDockerfile('# base\nFROM a\nRUN --network=none x'));
    assert.deepEqual(from!.node.comments, ['base']);
    assert.equal(run!.node.original, 'RUN --network=none x');
    assert.deepEqual(run!.range.start, { line: 3, column: 1 });
  });
});

describe('flags', () => {
  it('rejects a flag without a name', () => {
    rejects('COPY --=x a b', 1, 6, '"--=x" is not a flag: a flag needs a name after --');
  });

  it('stops reading flags at a bare --', () => {
    const [, copy] = toInstructions(parseDockerfile('FROM a\nCOPY -- --weird-name /dst'));
    assert.ok(copy?.kind === 'copy');
    assert.equal(copy.sources[0]!.word.value, '--weird-name');
  });

  it('takes quoted flag values', () => {
    const [, run] = toInstructions(parseDockerfile('FROM a\nRUN --mount="type=secret,id=b" true'));
    assert.ok(run?.kind === 'run');
    assert.equal(run.mounts[0]!.id, 'b');
  });

  it('rejects a list flag without a value', () => {
    rejects('RUN --mount true', 1, 5, '--mount needs a value: --mount=<value>');
  });
});
