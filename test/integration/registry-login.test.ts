// hull login / pull / logout through the CLI against a real registry with htpasswd auth behind TLS.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { makeImage, pushWithSkopeo } from '../helpers/registry-images.js';

let dir: string;
let registry: TestRegistry;
const saved = { ...process.env };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-login-'));
  registry = await startRegistry({ auth: 'basic-tls' });
  process.env.DOCKER_CONFIG = join(dir, 'docker');
  process.env.HULL_CERTS_D = registry.certsD;
  process.env.HULL_CONFIG = join(dir, 'hull-config.json');
  process.env.HULL_DOCKER_DAEMON_JSON = join(dir, 'no-daemon.json');
});
after(async () => {
  process.env = saved;
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

test('login checks the password, stores it 0600, pull uses it, logout removes it', async () => {
  const [user, password] = Object.entries(registry.users)[0]!;
  const wrong = await runCli(['login', '-u', user, '--password-stdin', registry.host], 'not-the-password\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /hull login/);
  assert.doesNotMatch(wrong.err, /not-the-password/);
  await assert.rejects(stat(join(dir, 'docker', 'config.json')), { code: 'ENOENT' });

  const ok = await runCli(['login', '-u', user, '--password-stdin', registry.host], `${password}\n`);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Login Succeeded/);
  const file = join(dir, 'docker', 'config.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const config = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(config.auths[registry.host]!.auth, 'base64').toString(), `${user}:${password}`);

  const src = join(dir, 'src');
  const manifest = await makeImage(src, 'cli');
  await pushWithSkopeo(src, 'local/cli:1', registry, 'cli/app:2');
  const pulled = await runCli(['pull', '--root', join(dir, 'store'), `${registry.host}/cli/app:2`]);
  assert.equal(pulled.code, 0, pulled.err);
  assert.match(pulled.out, /: Pull complete\n/);
  assert.match(pulled.out, new RegExp(`Digest: ${manifest.digest}\nStatus: Downloaded newer image for ${registry.host.replace(/\./g, '\\.')}/cli/app:2\n`));

  const out = await runCli(['logout', registry.host]);
  assert.equal(out.code, 0);
  const after = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, unknown> };
  assert.equal(after.auths[registry.host], undefined);
  assert.match((await runCli(['logout', registry.host])).out, /Not logged in/);
});

test('on a terminal, login asks for what the command line does not give, and does not echo the password', async () => {
  const [user, password] = Object.entries(registry.users)[0]!;
  const config = join(dir, 'prompted');
  // `script` gives hull a pseudo-terminal; both answers are typed ahead, as a fast typist would.
  const run = spawnSync('script', ['-qec', `${process.execPath} ${join(repoRoot(), 'bin', 'hull')} login ${registry.host}`, '/dev/null'], {
    input: `${user}\n${password}\n`,
    env: { ...process.env, DOCKER_CONFIG: config },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stdout);
  assert.match(run.stdout, /Username: /);
  assert.match(run.stdout, /Password: /);
  assert.match(run.stdout, /Login Succeeded/);
  // The terminal echoed the typed-ahead line before hull took the keyboard; hull itself never prints it.
  const afterPrompt = run.stdout.slice(run.stdout.lastIndexOf('Password: '));
  assert.doesNotMatch(afterPrompt, new RegExp(password.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const stored = JSON.parse(await readFile(join(config, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(stored.auths[registry.host]!.auth, 'base64').toString(), `${user}:${password}`);
});

test('without a terminal and without -u, login says what to give', async () => {
  const res = await runCli(['login', registry.host]);
  assert.equal(res.code, 2);
  assert.match(res.err, /give the user name with -u/);
});
