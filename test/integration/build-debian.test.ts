// A Debian-based build, the way most real Dockerfiles start: the debootstrap minbase root that
// test/setup.sh makes is imported with `hull import`, pushed to a real registry, pulled back by
// the build, and `RUN apt-get update && apt-get install -y …` runs against Debian's mirror
// (RUN shares the host network by default). Needs root, network access to the Debian mirror,
// and the packages test/setup.sh installs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEBIAN_TAR, publishDebian } from '../helpers/bases.js';
import { runCli } from '../helpers/cli.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!existsSync(DEBIAN_TAR) && `${DEBIAN_TAR} is missing: run test/setup.sh`) || false;

describe('a Debian-based build', { skip }, () => {
  const dirs = scratchDirs('hull-debian-');
  let registry: TestRegistry;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishDebian(registry, join(dirs.root(), 'import-store'));
  });
  after(() => registry?.stop());

  it('runs apt-get update && apt-get install in a RUN and keeps the installed package', async () => {
    const ctx = await dirs.fresh('ctx');
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM ${base}
RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*
RUN hello > /greeting
`,
    );
    const root = await dirs.fresh('store');
    const built = await runCli(['build', '--root', root, '--progress', 'plain', '-t', 'local/debian-hello:1', ctx]);
    assert.equal(built.code, 0, built.err);
    assert.match(built.err, /Setting up hello/);
    const ran = await runCli(['run', '--root', root, 'local/debian-hello:1', 'sh', '-c', 'cat /greeting && dpkg -s hello | grep ^Status']);
    assert.equal(ran.code, 0, ran.err);
    assert.equal(ran.out, 'Hello, world!\nStatus: install ok installed\n');
  });
});
