// `hull build --secret`: buildx's spellings parsed into secrets, and the mistakes a user makes
// refused with exit code 2 before anything is built, without repeating what they typed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSecret } from '../../../src/cli/commands/build.js';
import { UsageError } from '../../../src/errors.js';
import { runCli } from '../../helpers/cli.js';

describe('parseSecret', () => {
  it('reads a file from src= or source=, and a variable from env=', () => {
    assert.deepEqual(parseSecret('id=tok,src=/run/tok.txt', {}), ['tok', { file: '/run/tok.txt' }]);
    assert.deepEqual(parseSecret('id=tok,source=tok.txt', {}), ['tok', { file: 'tok.txt' }]);
    assert.deepEqual(parseSecret('id=tok,env=API_TOKEN', {}), ['tok', { env: 'API_TOKEN' }]);
    assert.deepEqual(parseSecret('ID=tok,Env=API_TOKEN', {}), ['tok', { env: 'API_TOKEN' }], 'keys are case-insensitive');
  });

  it('takes type=file|env: with type=env, src names the variable; alone, the id does', () => {
    assert.deepEqual(parseSecret('type=env,id=tok,src=API_TOKEN', {}), ['tok', { env: 'API_TOKEN' }]);
    assert.deepEqual(parseSecret('type=env,id=tok', {}), ['tok', { env: 'tok' }]);
    assert.deepEqual(parseSecret('type=file,id=tok', { tok: 'set' }), ['tok', { file: 'tok' }]);
    assert.deepEqual(parseSecret('type=file,id=tok,src=a.txt', {}), ['tok', { file: 'a.txt' }]);
  });

  it('with neither src nor env, uses the variable named like the id if it is set, else the file', () => {
    assert.deepEqual(parseSecret('id=TOKEN', { TOKEN: 'x' }), ['TOKEN', { env: 'TOKEN' }]);
    assert.deepEqual(parseSecret('id=TOKEN', {}), ['TOKEN', { file: 'TOKEN' }]);
  });

  it('prefers the file when both src and env are given, as buildx does', () => {
    assert.deepEqual(parseSecret('id=tok,src=f.txt,env=V', {}), ['tok', { file: 'f.txt' }]);
  });

  it('refuses specs it cannot read, without echoing them', () => {
    const refused = (spec: string, message: RegExp): void => {
      assert.throws(() => parseSecret(spec, {}), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('hunter2'), err.message);
        return true;
      });
    };
    refused('src=tok.txt', /give the secret an id/);
    refused('id=', /give the secret an id/);
    refused('id=tok,hunter2', /every field is key=value/);
    refused('id=tok,value=hunter2', /unknown field "value"/);
    refused('id=tok,type=ssh', /type must be file or env/);
    refused('type=file,id=tok,env=V', /type=file reads a file/);
  });
});

describe('hull build --secret', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hull-cli-secret-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const build = (...args: string[]) => runCli(['build', '--root', join(dir, 'store'), '--progress', 'quiet', ...args, dir]);

  it('exits 2 with the reason for a bad spec', async () => {
    const res = await build('--secret', 'id=tok,value=hunter2');
    assert.equal(res.code, 2);
    assert.match(res.err, /--secret: unknown field "value"/);
    assert.ok(!`${res.out}${res.err}`.includes('hunter2'));
  });

  it('exits 2 for a secret file that is missing or a directory, before building', async () => {
    const missing = await build('--secret', `id=tok,src=${join(dir, 'nope.txt')}`);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--secret id=tok: cannot read .*nope\.txt \(ENOENT\)/);
    const directory = await build('--secret', `id=tok,src=${dir}`);
    assert.equal(directory.code, 2);
    assert.match(directory.err, /--secret id=tok: .* is not a file/);
  });

  it('exits 2 for a secret file over 500 KiB', async () => {
    const big = join(dir, 'big.txt');
    await writeFile(big, Buffer.alloc(500 * 1024 + 1, 'x'));
    const res = await build('--secret', `id=big,src=${big}`);
    assert.equal(res.code, 2);
    assert.match(res.err, /--secret id=big: .* has 512001 bytes; a secret may have at most 512000/);
  });

  it('accepts good secrets and builds', async () => {
    const file = join(dir, 'tok.txt');
    await writeFile(file, 'hunter2');
    const res = await build('--secret', `id=tok,src=${file}`, '--secret', 'id=other,env=HULL_TEST_UNSET_VARIABLE');
    assert.equal(res.code, 0, res.err);
  });
});
