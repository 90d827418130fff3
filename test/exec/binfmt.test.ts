// ensurePlatformRunnable on a fake /proc and /usr/lib/binfmt.d: `register` is a plain file here,
// so what hull would register with the kernel can be read back.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExecError } from '../../src/errors.js';
import { ensurePlatformRunnable, type EnsureRunnableOptions } from '../../src/exec/binfmt.js';
import { parsePlatform } from '../../src/image/platform.js';
import { scratchDirs } from '../helpers/scratch.js';

const AMD64 = parsePlatform('linux/amd64');
const ARM64 = parsePlatform('linux/arm64');
const ARM_CONF = '# qemu-arm, from qemu-user-static\n:qemu-arm:M::\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00:/usr/libexec/qemu-binfmt/arm-binfmt-P:OPF\n';

interface FakeHost {
  options: EnsureRunnableOptions;
  logs: string[];
  binfmt: string;
  binfmtDir: string;
}

/** A fake /proc (binfmt_misc mounted unless told otherwise) and binfmt.d with the given files. */
async function fakeHost(dir: string, setup: { mounted?: boolean; handlers?: Record<string, string>; confs?: Record<string, string>; root?: boolean; host?: string } = {}): Promise<FakeHost> {
  const binfmt = join(dir, 'proc', 'sys', 'fs', 'binfmt_misc');
  const binfmtDir = join(dir, 'binfmt.d');
  await mkdir(binfmt, { recursive: true });
  await mkdir(binfmtDir);
  if (setup.mounted ?? true) {
    await writeFile(join(binfmt, 'register'), '');
    await writeFile(join(binfmt, 'status'), 'enabled\n');
  }
  for (const [name, text] of Object.entries(setup.handlers ?? {})) await writeFile(join(binfmt, name), text);
  for (const [name, text] of Object.entries(setup.confs ?? {})) await writeFile(join(binfmtDir, name), text);
  const logs: string[] = [];
  const options: EnsureRunnableOptions = {
    host: parsePlatform(setup.host ?? 'linux/amd64'),
    procRoot: join(dir, 'proc'),
    binfmtDir,
    root: setup.root ?? true,
    onLog: (line) => void logs.push(line),
    runsArm32: async () => true,
  };
  return { options, logs, binfmt, binfmtDir };
}

function handler(interpreter: string, flags = 'POCF', state = 'enabled'): string {
  return `${state}\ninterpreter ${interpreter}\nflags: ${flags}\noffset 0\nmagic 7f454c46010101000000000000000000020028\nmask ffffffffffffff00fffffffffffffffffeffffff\n`;
}

function execError(message: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ExecError, `an ExecError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  };
}

describe('ensurePlatformRunnable', () => {
  const dirs = scratchDirs('hull-binfmt-');

  describe('native', () => {
    for (const [host, target] of [
      ['linux/amd64', 'linux/amd64'],
      ['linux/arm64', 'linux/arm64'],
      ['linux/arm/v7', 'linux/arm/v6'],
      ['linux/amd64', 'linux/386'],
      ['linux/arm64', 'linux/arm/v7'],
      ['linux/arm64', 'linux/arm/v6'],
    ] as const) {
      it(`${target} on ${host}`, async () => {
        const fake = await fakeHost(await dirs.fresh('native'), { host });
        assert.deepEqual(await ensurePlatformRunnable(parsePlatform(target), fake.options), { kind: 'native' });
        assert.equal(await readFile(join(fake.binfmt, 'register'), 'utf8'), '');
      });
    }

    it('does not look at binfmt_misc for the same architecture', async () => {
      assert.deepEqual(await ensurePlatformRunnable(AMD64, { host: AMD64, procRoot: '/nonexistent' }), { kind: 'native' });
    });

    it('prefers a registered qemu-arm on arm64: the kernel hands 32-bit binaries to it first', async () => {
      const fake = await fakeHost(await dirs.fresh('arm64-handler'), { host: 'linux/arm64', handlers: { 'qemu-arm': handler('/usr/bin/qemu-arm-static') } });
      assert.deepEqual(await ensurePlatformRunnable(parsePlatform('linux/arm/v7'), fake.options), { kind: 'emulated', handler: 'qemu-arm', interpreter: '/usr/bin/qemu-arm-static' });
    });

    it('registers qemu-arm on an arm64 CPU without 32-bit mode', async () => {
      const fake = await fakeHost(await dirs.fresh('arm64-no32'), { host: 'linux/arm64', confs: { 'qemu-arm.conf': ARM_CONF } });
      const result = await ensurePlatformRunnable(parsePlatform('linux/arm/v7'), { ...fake.options, runsArm32: async () => false });
      assert.equal(result.kind, 'emulated');
    });
  });

  it('uses an enabled handler with the F flag and says nothing', async () => {
    const fake = await fakeHost(await dirs.fresh('enabled'), { handlers: { 'qemu-aarch64': handler('/usr/libexec/qemu-binfmt/aarch64-binfmt-P', 'POCF') } });
    assert.deepEqual(await ensurePlatformRunnable(ARM64, fake.options), { kind: 'emulated', handler: 'qemu-aarch64', interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' });
    assert.deepEqual(fake.logs, []);
  });

  it('finds a handler registered under another name by its interpreter', async () => {
    const fake = await fakeHost(await dirs.fresh('other-name'), { handlers: { aarch64: handler('/usr/bin/qemu-aarch64-static'), 'qemu-aarch64_be': handler('/usr/bin/qemu-aarch64_be') } });
    assert.deepEqual(await ensurePlatformRunnable(ARM64, fake.options), { kind: 'emulated', handler: 'aarch64', interpreter: '/usr/bin/qemu-aarch64-static' });
  });

  it('warns when the handler lacks the F flag, with the fix', async () => {
    const fake = await fakeHost(await dirs.fresh('no-f'), { handlers: { 'qemu-arm': handler('/usr/bin/qemu-arm-static', 'OC') }, confs: { 'qemu-arm.conf': ARM_CONF } });
    assert.equal((await ensurePlatformRunnable(parsePlatform('linux/arm/v7'), fake.options)).kind, 'emulated');
    assert.equal(fake.logs.length, 1);
    assert.match(fake.logs[0]!, /lacks the F flag, so RUN steps may fail inside the container with "exec format error"/);
    assert.ok(fake.logs[0]!.endsWith(`Fix, as root: echo -1 > ${join(fake.binfmt, 'qemu-arm')} && cat ${join(fake.binfmtDir, 'qemu-arm.conf')} > ${join(fake.binfmt, 'register')}`), fake.logs[0]);
  });

  it('refuses a disabled handler, saying how to enable it', async () => {
    const fake = await fakeHost(await dirs.fresh('disabled'), { handlers: { 'qemu-arm': handler('/usr/bin/qemu-arm-static', 'F', 'disabled') }, confs: { 'qemu-arm.conf': ARM_CONF } });
    await assert.rejects(
      ensurePlatformRunnable(parsePlatform('linux/arm/v7'), fake.options),
      execError(`cannot run linux/arm/v7 steps on this linux/amd64 host: the binfmt_misc handler qemu-arm for arm is disabled. Fix: echo 1 > ${join(fake.binfmt, 'qemu-arm')}`),
    );
    assert.equal(await readFile(join(fake.binfmt, 'register'), 'utf8'), '');
  });

  it('refuses when binfmt_misc as a whole is disabled', async () => {
    const fake = await fakeHost(await dirs.fresh('status'), { handlers: { 'qemu-arm': handler('/usr/bin/qemu-arm-static') }, root: false });
    await writeFile(join(fake.binfmt, 'status'), 'disabled\n');
    await assert.rejects(
      ensurePlatformRunnable(parsePlatform('linux/arm/v6'), fake.options),
      execError(`cannot run linux/arm/v6 steps on this linux/amd64 host: binfmt_misc is disabled. Fix, as root: echo 1 > ${join(fake.binfmt, 'status')}`),
    );
  });

  it('registers a missing handler from its conf file, skipping comments', async () => {
    const fake = await fakeHost(await dirs.fresh('register'), { confs: { 'qemu-arm.conf': ARM_CONF } });
    assert.deepEqual(await ensurePlatformRunnable(parsePlatform('linux/arm/v7'), fake.options), { kind: 'emulated', handler: 'qemu-arm', interpreter: '/usr/libexec/qemu-binfmt/arm-binfmt-P' });
    assert.equal(await readFile(join(fake.binfmt, 'register'), 'utf8'), `${ARM_CONF.split('\n')[1]}\n`);
    assert.deepEqual(fake.logs, [`registered the qemu-arm binfmt handler from ${join(fake.binfmtDir, 'qemu-arm.conf')}`]);
  });

  it('reads Fedora-style qemu-ARCH-static.conf files too', async () => {
    const conf = ':qemu-riscv64:M::\\x7f\\x45\\x4c\\x46\\x02:\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-riscv64-static:F\n';
    const fake = await fakeHost(await dirs.fresh('fedora'), { confs: { 'qemu-riscv64-static.conf': conf } });
    assert.deepEqual(await ensurePlatformRunnable(parsePlatform('linux/riscv64'), fake.options), { kind: 'emulated', handler: 'qemu-riscv64', interpreter: '/usr/bin/qemu-riscv64-static' });
  });

  it('without a conf file, names the package and the exact commands', async () => {
    const fake = await fakeHost(await dirs.fresh('no-conf'));
    await assert.rejects(
      ensurePlatformRunnable(parsePlatform('linux/arm/v7'), fake.options),
      execError(`cannot run linux/arm/v7 steps on this linux/amd64 host: no binfmt_misc handler for arm. Fix: apt-get install qemu-user-static && cat ${join(fake.binfmtDir, 'qemu-arm.conf')} > ${join(fake.binfmt, 'register')}`),
    );
  });

  it('without root and binfmt_misc unmounted, gives every command to run as root', async () => {
    const fake = await fakeHost(await dirs.fresh('not-root'), { mounted: false, root: false, confs: { 'qemu-aarch64.conf': ':qemu-aarch64:M::\\x7f:\\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OCF\n' } });
    await assert.rejects(
      ensurePlatformRunnable(ARM64, fake.options),
      execError(`cannot run linux/arm64 steps on this linux/amd64 host: no binfmt_misc handler for aarch64. Fix, as root: mount -t binfmt_misc binfmt_misc ${fake.binfmt} && cat ${join(fake.binfmtDir, 'qemu-aarch64.conf')} > ${join(fake.binfmt, 'register')}`),
    );
  });

  it('without qemu for the architecture or a Linux target, says so', async () => {
    const fake = await fakeHost(await dirs.fresh('unknown'));
    await assert.rejects(ensurePlatformRunnable(parsePlatform('linux/sparc64'), fake.options), execError('cannot run linux/sparc64 steps on this linux/amd64 host: hull knows no qemu emulator for sparc64'));
    await assert.rejects(ensurePlatformRunnable(parsePlatform('windows/amd64'), fake.options), execError('cannot run windows/amd64 steps on this linux/amd64 host: hull runs RUN steps in Linux containers only'));
  });
});
