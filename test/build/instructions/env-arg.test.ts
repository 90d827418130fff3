import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError } from '../../../src/errors.js';
import { build, createdBy, PATH, scratch } from './helpers.js';

describe('ENV', () => {
  it('writes both forms into Env with BuildKit history (BEHAVIOURS 29)', () => {
    const b = build('FROM scratch\nENV A=1 B="two words"\nENV C legacy form\n');
    assert.deepEqual(b.config.Env, [PATH, 'A=1', 'B=two words', 'C=legacy form']);
    assert.deepEqual(createdBy(b), ['ENV A=1 B=two words', 'ENV C=legacy form']);
    assert.deepEqual(b.history.map((h) => h.empty_layer), [true, true]);
    assert.equal(b.history[0]!.comment, 'buildkit.dockerfile.v0');
  });

  it('expands each pair with the values from before the line (BEHAVIOURS 5)', () => {
    const b = build('FROM scratch\nENV A=old\nENV A=new B=$A\n');
    assert.deepEqual(b.config.Env, [PATH, 'A=new', 'B=old']);
    assert.equal(createdBy(b)[1], 'ENV A=new B=old');
  });

  it('expands an undefined variable to empty (BEHAVIOURS 7)', () => {
    const b = build('FROM scratch\nENV X=a${NOPE}b Y=$NOPE\n');
    assert.deepEqual(b.config.Env, [PATH, 'X=ab', 'Y=']);
  });

  it('replaces a base variable in place and keeps single quotes literal (BEHAVIOURS 7)', () => {
    const b = build("FROM scratch\nENV HOME=/root P='$HOME' Q=\\$HOME\n", { base: scratch({ Env: ['HOME=/', 'PATH=/bin'] }) });
    assert.deepEqual(b.config.Env, ['HOME=/root', 'PATH=/bin', 'P=$HOME', 'Q=$HOME']);
  });

  it('reports an expansion error at its word', () => {
    assert.throws(() => build('FROM scratch\nENV A=${B:?unset}\n'), (e: unknown) => e instanceof GraphError && e.line === 2);
  });
});

describe('ARG', () => {
  it('records ARG in history but never in the config (BEHAVIOURS 4, 29)', () => {
    const b = build('FROM scratch\nARG V=1\nARG W\n');
    assert.deepEqual(b.config.Env, [PATH]);
    assert.deepEqual(createdBy(b), ['ARG V=1', 'ARG W']);
    assert.deepEqual(Object.fromEntries(b.final.args), { V: '1' });
    assert.deepEqual(b.final.declaredArgs, ['V', 'W']);
  });

  it('takes --build-arg over the default and the global value for a bare ARG (BEHAVIOURS 1, 2)', () => {
    const b = build('ARG G=global\nFROM scratch\nARG G\nARG D=default\n', { buildArgs: { D: 'cli' } });
    assert.deepEqual(createdBy(b), ['ARG G=global', 'ARG D=cli']);
  });

  it("expands a default with the base image's ENV", () => {
    const b = build('FROM scratch\nARG V=${HOME}/x\n', { base: scratch({ Env: ['HOME=/home/me'] }) });
    assert.equal(b.final.args.get('V'), '/home/me/x');
  });

  it('lets ENV win over an ARG of the same name (BEHAVIOURS 3)', () => {
    const b = build('FROM scratch\nARG V=arg\nENV V=env\nLABEL v=$V\n');
    assert.equal(b.config.Labels?.v, 'env');
  });

  it('lets an ARG be used by later expansions', () => {
    const b = build('FROM scratch\nARG DIR=/srv\nWORKDIR $DIR/app\n');
    assert.equal(b.config.WorkingDir, '/srv/app');
  });
});
