import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MountSpecError, parseMount, parseSize, splitCsv, type Mount } from '../../../src/parse/instructions/index.js';
import { oneOf, rejects } from './helpers.js';

const RANGE = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

function mount(spec: string): Mount {
  return oneOf(`RUN --mount=${spec} true`, 'run').mounts[0]!;
}

function badMount(spec: string, reason: string): void {
  rejects(`RUN --mount=${spec} true`, 1, 5, `invalid --mount: ${reason}`);
}

describe('RUN --mount', () => {
  it('defaults to a read-only bind mount', () => {
    const m = mount('target=/src');
    assert.equal(m.type, 'bind');
    assert.equal(m.target, '/src');
    assert.equal(m.readonly, true);
    assert.equal(m.spec, 'target=/src');
  });

  it('accepts a bind mount without target (it mounts on the WORKDIR)', () => {
    const m = mount('from=binaries');
    assert.equal(m.from, 'binaries');
    assert.equal(m.target, undefined);
  });

  it('reads every alias of source and target', () => {
    for (const key of ['target', 'dst', 'destination']) assert.equal(mount(`type=bind,${key}=/t`).target, '/t');
    for (const key of ['source', 'src']) assert.equal(mount(`type=bind,target=/t,${key}=/s`).source, '/s');
  });

  it('makes cache and tmpfs mounts writable by default', () => {
    assert.equal(mount('type=cache,target=/c').readonly, false);
    assert.equal(mount('type=tmpfs,target=/t').readonly, false);
  });

  it('reads ro/rw with and without values', () => {
    assert.equal(mount('type=bind,target=/t,rw').readonly, false);
    assert.equal(mount('type=bind,target=/t,readwrite=true').readonly, false);
    assert.equal(mount('type=cache,target=/t,ro').readonly, true);
    assert.equal(mount('type=cache,target=/t,readonly=1').readonly, true);
    assert.equal(mount('type=bind,target=/t,ro=false').readonly, false);
  });

  it('reads a full cache mount', () => {
    const m = mount('type=cache,id=apt,target=/var/cache/apt,sharing=locked,mode=0755,uid=1000,gid=100,from=base,source=/c');
    assert.deepEqual(
      { id: m.id, sharing: m.sharing, mode: m.mode, uid: m.uid, gid: m.gid, from: m.from, source: m.source },
      { id: 'apt', sharing: 'locked', mode: 0o755, uid: 1000, gid: 100, from: 'base', source: '/c' },
    );
  });

  it('reads secret mounts with required and env', () => {
    const m = mount('type=secret,id=token,env=TOKEN,required');
    assert.deepEqual({ type: m.type, id: m.id, env: m.env, required: m.required, readonly: m.readonly }, {
      type: 'secret',
      id: 'token',
      env: 'TOKEN',
      required: true,
      readonly: true,
    });
    assert.equal(mount('type=secret,target=/run/secrets/x,required=false').required, false);
  });

  it('reads ssh mounts', () => {
    const m = mount('type=ssh,id=default,required=true,mode=0600');
    assert.equal(m.type, 'ssh');
    assert.equal(m.mode, 0o600);
    assert.equal(mount('type=ssh').id, undefined);
  });

  it('reads tmpfs size with units', () => {
    assert.equal(mount('type=tmpfs,target=/t,size=64m').size, 64 * 1024 * 1024);
    assert.equal(parseSize('1g'), 1024 ** 3);
    assert.equal(parseSize('512KiB'), 512 * 1024);
    assert.equal(parseSize('100'), 100);
  });

  it('takes the type from anywhere in the list and is case-insensitive about it', () => {
    assert.equal(mount('target=/c,Type=CACHE,sharing=private').sharing, 'private');
  });

  it('defers values holding a $ and keeps them listed', () => {
    const m = mount('type=cache,target=$HOME/.cache,uid=$UID');
    assert.deepEqual(m.unexpanded, ['target', 'uid']);
    assert.equal(m.uid, undefined);
    const expanded = parseMount(m.spec, RANGE, (w) => w.replace('$HOME', '/root').replace('$UID', '0'));
    assert.equal(expanded.target, '/root/.cache');
    assert.equal(expanded.uid, 0);
    assert.deepEqual(expanded.unexpanded, []);
  });

  it('checks the expanded values too', () => {
    assert.throws(() => parseMount('type=cache,target=/c,uid=$X', RANGE, () => 'abc'), MountSpecError);
  });

  it('rejects an unknown type with a suggestion', () => {
    badMount('type=cahce,target=/c', 'unsupported mount type "cahce" (did you mean cache?); types are bind, cache, tmpfs, secret, ssh');
    badMount('type=volume,target=/c', 'unsupported mount type "volume"; types are bind, cache, tmpfs, secret, ssh');
  });

  it('rejects an unknown key with a suggestion', () => {
    badMount(
      'type=cache,traget=/c',
      'unknown mount option "traget" in "traget=/c" (did you mean target?); options are type, from, source, src, target, dst, destination, readonly, ro, readwrite, rw, id, sharing, required, mode, uid, gid, env, size',
    );
  });

  it('rejects keys that do not belong to the type', () => {
    badMount('type=bind,target=/t,sharing=locked', '"sharing" is not valid for a bind mount; it applies to cache mounts');
    badMount('type=bind,target=/t,mode=0644', '"mode" is not valid for a bind mount; it applies to cache and secret and ssh mounts');
    badMount('type=tmpfs,target=/t,uid=1', '"uid" is not valid for a tmpfs mount; it applies to cache and secret and ssh mounts');
    badMount('type=cache,target=/t,required', '"required" is not valid for a cache mount; it applies to secret and ssh mounts');
    badMount('type=secret,id=a,from=x', '"from" is not valid for a secret mount; it applies to bind and cache mounts');
    badMount('type=cache,target=/t,size=1m', '"size" is not valid for a cache mount; it applies to tmpfs mounts');
    badMount('type=cache,target=/t,env=X', '"env" is not valid for a cache mount; it applies to secret mounts');
  });

  it('rejects bad values', () => {
    badMount('type=cache,target=/t,sharing=global', 'unsupported sharing value "global"; use shared, private or locked');
    badMount('type=cache,target=/t,mode=0999', 'mode=0999 is not an octal file mode such as 0400 or 755');
    badMount('type=cache,target=/t,uid=-1', 'uid=-1 is not a numeric id');
    badMount('type=bind,target=/t,ro=maybe', 'ro=maybe is not a boolean: use true or false');
    badMount('type=tmpfs,target=/t,size=lots', 'size=lots is not a size such as 64m, 1g or 1048576');
    badMount('type=cache,target', 'mount option "target" needs a value: target=<value>');
  });

  it('rejects incomplete secret mounts', () => {
    badMount('type=secret', 'a secret mount needs id=<secret id> (or target= or env=)');
    badMount('type=secret,id=a,source=b', 'a secret mount takes either source= or id=, not both');
  });

  it('splits CSV like Go, with quoted fields', () => {
    assert.deepEqual(splitCsv('a=1,b=2'), ['a=1', 'b=2']);
    assert.deepEqual(splitCsv('"a=1,2",b'), ['a=1,2', 'b']);
    assert.deepEqual(splitCsv('"say ""hi""",x'), ['say "hi"', 'x']);
    assert.deepEqual(splitCsv(''), ['']);
    assert.throws(() => splitCsv('"open'), /unterminated quote/);
    assert.throws(() => splitCsv('a"b'), /quote in the middle/);
  });
});
