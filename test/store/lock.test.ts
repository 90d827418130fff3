import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Locks, LockTimeoutError } from '../../src/store/index.js';
import { currentOwner, ownerState } from '../../src/store/owner.js';
import { tempDir } from '../helpers/image.js';
import { exited } from '../helpers/spawn.js';

describe('store locks', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let locksDir: string;
  let tmpDir: string;
  before(async () => {
    ({ dir, cleanup } = await tempDir('hull-lock-'));
    locksDir = join(dir, 'locks');
    tmpDir = join(dir, 'tmp');
    await mkdir(locksDir);
    await mkdir(tmpDir);
  });
  after(() => cleanup());

  it('excludes concurrent holders and releases', async () => {
    const locks = new Locks(locksDir, tmpDir);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        locks.with('x', async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(2);
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.deepEqual(await readdir(locksDir), []);
    assert.deepEqual(await readdir(tmpDir), []);
  });

  it('releases when the work throws', async () => {
    const locks = new Locks(locksDir, tmpDir);
    await assert.rejects(locks.with('y', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.deepEqual(await readdir(locksDir), []);
  });

  it('names the owner in the lock file', async () => {
    const locks = new Locks(locksDir, tmpDir);
    await locks.with('z', async () => {
      const content = await readFile(join(locksDir, 'z.lock'), 'utf8');
      assert.ok(content.startsWith(`${currentOwner().token} `));
    });
  });

  it('breaks a lock left by a killed process at once', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const token = `${currentOwner().hostKey}-${child.pid!}-${await startTime(child.pid!)}`;
    assert.equal(ownerState(token), 'alive');
    await writeFile(join(locksDir, 'dead.lock'), `${token} abc\n`);
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(ownerState(token), 'dead');
    const locks = new Locks(locksDir, tmpDir, { timeoutMs: 2000 });
    const started = Date.now();
    await locks.with('dead', async () => undefined);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it('waits for a live holder, then times out with who holds it', async () => {
    await writeFile(join(locksDir, 'live.lock'), `${currentOwner().token} other-acquisition\n`);
    const locks = new Locks(locksDir, tmpDir, { timeoutMs: 150 });
    await assert.rejects(locks.with('live', async () => undefined), (e: unknown) => e instanceof LockTimeoutError && e.message.includes(currentOwner().token));
  });

  it('takes over a lock of an owner it cannot check only once it is stale', async () => {
    const path = join(locksDir, 'foreign.lock');
    await writeFile(path, 'ffffffff-123-456 xyz\n');
    assert.equal(ownerState('ffffffff-123-456'), 'unknown');
    const impatient = new Locks(locksDir, tmpDir, { timeoutMs: 100, staleMs: 60_000 });
    await assert.rejects(impatient.with('foreign', async () => undefined), LockTimeoutError);
    const old = new Date(Date.now() - 120_000);
    await utimes(path, old, old);
    await impatient.with('foreign', async () => undefined);
  });

  it('tells dead, live and reused pids apart', async () => {
    assert.equal(ownerState(currentOwner().token), 'alive');
    assert.equal(ownerState(`${currentOwner().hostKey}-${process.pid}-1`), 'dead', 'same pid, other start time: a reused pid');
    assert.equal(ownerState('not-a-token'), 'unknown');
  });
});

async function startTime(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}
