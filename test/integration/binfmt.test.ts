// Foreign-platform execution for real: ensurePlatformRunnable registers the qemu-user-static
// handlers with this kernel (when missing), then Debian's static arm busyboxes run on this host.
// Needs root, qemu-user-static and the busyboxes test/setup.sh fetches.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { ensurePlatformRunnable } from '../../src/exec/binfmt.js';
import { parsePlatform } from '../../src/image/platform.js';
import { BUSYBOX_ARM64, BUSYBOX_ARMHF } from '../helpers/bases.js';

const run = promisify(execFile);

const skip =
  (process.getuid?.() !== 0 && 'needs root (it registers binfmt_misc handlers)') ||
  (!existsSync('/usr/lib/binfmt.d/qemu-aarch64.conf') && 'qemu-user-static is not installed: run test/setup.sh') ||
  (![BUSYBOX_ARMHF, BUSYBOX_ARM64].every((f) => existsSync(f)) && `${BUSYBOX_ARMHF} or ${BUSYBOX_ARM64} missing: run test/setup.sh`) ||
  false;

describe('ensurePlatformRunnable on this kernel', { skip }, () => {
  for (const [platform, busybox, machine] of [
    ['linux/arm64', BUSYBOX_ARM64, 'aarch64'],
    ['linux/arm/v7', BUSYBOX_ARMHF, 'armv7l'],
  ] as const) {
    it(`makes ${platform} binaries run: busybox uname -m says ${machine}`, async () => {
      const logs: string[] = [];
      const how = await ensurePlatformRunnable(parsePlatform(platform), { onLog: (line) => void logs.push(line) });
      if (how.kind === 'emulated') {
        assert.ok(existsSync(`/proc/sys/fs/binfmt_misc/${how.handler}`), `handler ${how.handler} registered`);
        assert.ok(!logs.some((l) => l.startsWith('warning:')), logs.join('\n'));
      }
      const { stdout } = await run(busybox, ['uname', '-m']);
      assert.equal(stdout.trim(), machine);
    });
  }
});
