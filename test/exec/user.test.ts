import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExecError } from '../../src/errors.js';
import { readInRoot, resolveUser, resolveUserFrom } from '../../src/exec/user.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n# comment\nbroken:x:zz:1\n';
const group = 'root:x:0:\napp:x:1001:\ndocker:x:999:app,other\nwheel:x:10:app\n';

test('a name resolves to its uid, primary gid and member groups', () => {
  assert.deepEqual(resolveUserFrom('app', passwd, group), { uid: 1000, gid: 1001, additionalGids: [999, 10] });
  assert.deepEqual(resolveUserFrom('root', passwd, group), { uid: 0, gid: 0 });
  assert.deepEqual(resolveUserFrom('', passwd, group), { uid: 0, gid: 0 });
});

test('an explicit group wins and drops the supplementary groups; numbers need not exist', () => {
  assert.deepEqual(resolveUserFrom('app:docker', passwd, group), { uid: 1000, gid: 999 });
  assert.deepEqual(resolveUserFrom('app:42', passwd, group), { uid: 1000, gid: 42 });
  assert.deepEqual(resolveUserFrom('4242', passwd, group), { uid: 4242, gid: 0 });
  assert.deepEqual(resolveUserFrom('1000', passwd, group), { uid: 1000, gid: 1001, additionalGids: [999, 10] });
  assert.deepEqual(resolveUserFrom('7:8', undefined, undefined), { uid: 7, gid: 8 });
});

test('names that do not resolve are clear errors', () => {
  assert.throws(() => resolveUserFrom('ghost', passwd, group), (e: unknown) => e instanceof ExecError && /unable to find user ghost/.test(e.message));
  assert.throws(() => resolveUserFrom('app:nogroup', passwd, group), /unable to find group nogroup/);
  assert.throws(() => resolveUserFrom('app', undefined, undefined), /no \/etc\/passwd/);
  assert.throws(() => resolveUserFrom(':1', passwd, group), /no user before/);
  assert.throws(() => resolveUserFrom('99999999999', passwd, group), /out of range/);
});

test('files are read inside the root: absolute symlinks restart at the root, never the host', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hull-user-'));
  try {
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'data'));
    await writeFile(join(root, 'data', 'passwd'), 'svc:x:77:88::/:/bin/sh\n');
    await symlink('/data/passwd', join(root, 'etc', 'passwd'));
    await symlink('/etc/shadow-on-host', join(root, 'etc', 'group'));
    assert.deepEqual(await resolveUser('svc', root), { uid: 77, gid: 88 });
    assert.equal(await readInRoot(root, '/etc/group'), undefined);
    await symlink('../../../../etc', join(root, 'hostetc'));
    assert.equal(await readInRoot(root, '/hostetc/hostname'), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
