import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRequest } from '../../../src/build/instructions/index.js';
import { build, createdBy, PATH, scratch } from './helpers.js';

function runOf(b: ReturnType<typeof build>, i: number): RunRequest {
  const layer = b.outcomes[i]!.layer;
  assert.ok(layer !== 'none' && layer.kind === 'run');
  return layer;
}

describe('RUN', () => {
  it('wraps shell form in the shell and marks the history # buildkit (BEHAVIOURS 21, 29)', () => {
    const b = build('FROM scratch\nRUN apt-get update && echo $HOME\n');
    assert.equal(createdBy(b)[0], 'RUN /bin/sh -c apt-get update && echo $HOME # buildkit');
    assert.equal(b.history[0]!.empty_layer, undefined);
    const r = runOf(b, 0);
    assert.deepEqual(r.args, ['/bin/sh', '-c', 'apt-get update && echo $HOME']);
    assert.deepEqual(r.env, [PATH]);
    assert.equal(r.cwd, '/');
    assert.equal(r.user, '');
    assert.equal(r.network, 'default');
    assert.equal(r.security, 'sandbox');
  });

  it('keeps exec form unexpanded and uses SHELL, WORKDIR and USER', () => {
    const b = build('FROM scratch\nSHELL ["/bin/bash","-c"]\nWORKDIR /w\nUSER app\nRUN ["echo", "$X"]\nRUN echo hi\n');
    assert.deepEqual(runOf(b, 3).args, ['echo', '$X']);
    assert.equal(createdBy(b)[3], 'RUN echo $X # buildkit');
    assert.deepEqual(runOf(b, 4).args, ['/bin/bash', '-c', 'echo hi']);
    assert.equal(runOf(b, 4).cwd, '/w');
    assert.equal(runOf(b, 4).user, 'app');
  });

  it('puts ARG values in the environment but not the config, and lists them in history (BEHAVIOURS 3, 4)', () => {
    const b = build('FROM scratch\nARG V=1\nARG UNSET\nARG E=arg\nENV E=env\nRUN make\n');
    const r = runOf(b, 4);
    assert.deepEqual(r.env, [PATH, 'E=env', 'V=1']);
    assert.deepEqual(b.config.Env, [PATH, 'E=env']);
    assert.equal(createdBy(b)[4], 'RUN |3 V=1 UNSET= E=env /bin/sh -c make # buildkit');
  });

  it('gives undeclared proxy args to RUN but keeps them out of history (BEHAVIOURS 8)', () => {
    const b = build('FROM scratch\nRUN curl x\n', { buildArgs: { HTTP_PROXY: 'http://proxy:3128' } });
    assert.deepEqual(runOf(b, 0).env, [PATH, 'HTTP_PROXY=http://proxy:3128']);
    assert.equal(createdBy(b)[0], 'RUN /bin/sh -c curl x # buildkit');
  });

  it('defaults PATH when the base has none and keeps a base PATH (BEHAVIOURS 10)', () => {
    assert.deepEqual(runOf(build('FROM scratch\nRUN x\n'), 0).env, [PATH]);
    assert.deepEqual(runOf(build('FROM scratch\nRUN x\n', { base: scratch({ Env: ['PATH=/opt/bin'] }) }), 0).env, ['PATH=/opt/bin']);
  });

  it('passes network and security, expands mounts and resolves their targets against WORKDIR', () => {
    const b = build('FROM scratch\nARG C=pip\nWORKDIR /src\nRUN --network=none --security=insecure --mount=type=cache,target=.cache/$C,id=$C --mount=type=secret,id=tok make\n');
    const r = runOf(b, 2);
    assert.equal(r.network, 'none');
    assert.equal(r.security, 'insecure');
    assert.equal(r.mounts[0]!.type, 'cache');
    assert.equal(r.mounts[0]!.target, '/src/.cache/pip');
    assert.equal(r.mounts[0]!.id, 'pip');
    assert.equal(r.mounts[1]!.type, 'secret');
    assert.equal(r.mounts[1]!.target, undefined);
  });

  it('runs a heredoc body through the shell, or as a script with #!', () => {
    const plain = build('FROM scratch\nRUN <<EOF\necho a\necho b\nEOF\n');
    assert.deepEqual(runOf(plain, 0).args, ['/bin/sh', '-c', 'echo a\necho b\n']);
    const script = build('FROM scratch\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n');
    const r = runOf(script, 0);
    assert.deepEqual(r.args, ['/bin/sh', '-c', '/dev/pipes/EOF']);
    assert.deepEqual(r.inlineFiles, [{ path: '/dev/pipes/EOF', content: '#!/usr/bin/env python3\nprint(1)\n', mode: 0o755 }]);
    const inline = build('FROM scratch\nRUN python3 <<EOF\nprint(1)\nEOF\n');
    assert.deepEqual(runOf(inline, 0).args, ['/bin/sh', '-c', 'python3 <<EOF\nprint(1)\nEOF']);
  });

  it('builds its cache key from the request and the environment, never the config', () => {
    const a = build('FROM scratch\nARG V=1\nRUN make\n').outcomes[1]!.cacheKey;
    const b = build('FROM scratch\nARG V=2\nRUN make\n').outcomes[1]!.cacheKey;
    assert.equal(a.instruction, b.instruction);
    assert.notDeepEqual(a.env, b.env);
    assert.ok(a.env.includes('V=1'));
  });
});
