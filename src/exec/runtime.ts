/**
 * Choosing how to run a container: crun, then runc (OCI runtimes fed the generated bundle), then
 * the built-in unshare+chroot fallback. A runtime is probed by running a trivial bundle (once per
 * boot: probe-cache.ts), because an installed runtime may still refuse this machine: crun 1.8 stops at
 * "cgroups in hybrid mode not supported" on hosts mixing cgroup v1 and v2 controllers, even with
 * --cgroup-manager=disabled, so there the probe fails and runc is used.
 */
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecError } from '../errors.js';
import { writeBundle } from './bundle.js';
import { containerId } from './containers.js';
import { binaryFingerprint, cachedProbe, rememberProbe, type ProbeResult } from './probe-cache.js';
import { runTool } from './proc.js';
import type { OciSpec } from './spec.js';

export type RuntimeName = 'crun' | 'runc' | 'chroot';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['crun', 'runc', 'chroot'];

export interface Runtime {
  name: RuntimeName;
  /** The executable, found on PATH. */
  binary: string;
}

const PROBE_EXE = '/.hull-runtime-probe';
const probed = new Map<RuntimeName, Promise<{ ok: true; binary: string } | { ok: false; reason: string }>>();

async function which(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir === '') continue;
    const full = join(dir, command);
    try {
      await access(full, constants.X_OK);
      return full;
    } catch {
      // Not in this PATH entry.
    }
  }
  return undefined;
}

/**
 * Runs a bundle whose process does not exist: a runtime that reports the missing executable got
 * through namespaces, cgroups and mounts, which is all that can fail on a given host. This works
 * without any binary of the target architecture to run.
 */
async function probeOci(binary: string): Promise<{ ok: true; binary: string } | { ok: false; reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hull-probe-'));
  const id = containerId();
  try {
    // runc needs /proc to get as far as exec (it closes inherited fds through /proc/self/fd).
    await mkdir(join(dir, 'rootfs', 'proc'), { recursive: true });
    const spec: OciSpec = {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: [PROBE_EXE],
        env: ['PATH=/bin'],
        cwd: '/',
        capabilities: { bounding: [], effective: [], permitted: [] },
        noNewPrivileges: true,
      },
      root: { path: join(dir, 'rootfs'), readonly: true },
      hostname: 'hull-probe',
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }], resources: { devices: [{ allow: false, access: 'rwm' }] }, maskedPaths: [], readonlyPaths: [] },
    };
    await writeBundle(dir, spec);
    const r = await runTool(binary, ['run', '--bundle', dir, id]);
    const said = `${r.stdout}${r.stderr}`;
    if (said.includes(PROBE_EXE)) return { ok: true, binary };
    return { ok: false, reason: said.trim().split('\n').pop() || `exited ${r.code}` };
  } finally {
    await runTool(binary, ['delete', '--force', id]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function probeChroot(): Promise<{ ok: true; binary: string } | { ok: false; reason: string }> {
  const binary = await which('unshare');
  if (!binary) return { ok: false, reason: 'unshare (util-linux) is not installed' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the unshare+chroot fallback needs root' };
  const r = await runTool(binary, ['--mount', '--pid', '--ipc', '--uts', '--fork', 'true']);
  return r.code === 0 ? { ok: true, binary } : { ok: false, reason: r.stderr.trim() || `exited ${r.code}` };
}

function probe(name: RuntimeName): Promise<{ ok: true; binary: string } | { ok: false; reason: string }> {
  let p = probed.get(name);
  if (!p) {
    p = (async () => {
      if (name === 'chroot') return probeChroot();
      const binary = await which(name);
      if (!binary) return { ok: false as const, reason: `${name} is not installed` };
      const fingerprint = await binaryFingerprint(binary);
      const known = (await cachedProbe(fingerprint)) as ProbeResult | undefined;
      if (typeof known?.ok === 'boolean') return known;
      const result = await probeOci(binary);
      await rememberProbe(fingerprint, result);
      return result;
    })();
    probed.set(name, p);
  }
  return p;
}

/**
 * The runtime to use: `override` (from --runtime) or the first of crun, runc, chroot that works
 * here. `onLog` hears why a preferred runtime was passed over.
 */
export async function selectRuntime(override?: string, onLog: (line: string) => void = () => {}): Promise<Runtime> {
  if (override !== undefined) {
    if (!RUNTIME_NAMES.includes(override as RuntimeName)) {
      throw new ExecError(`unknown runtime "${override}" (expected one of ${RUNTIME_NAMES.join(', ')})`);
    }
    const name = override as RuntimeName;
    const r = await probe(name);
    if (!r.ok) throw new ExecError(`runtime ${name} does not work here: ${r.reason}`);
    return { name, binary: r.binary };
  }
  const reasons: string[] = [];
  for (const name of RUNTIME_NAMES) {
    const r = await probe(name);
    if (r.ok) {
      if (reasons.length > 0) onLog(`using runtime ${name} (${reasons.join('; ')})`);
      return { name, binary: r.binary };
    }
    reasons.push(`${name}: ${r.reason}`);
  }
  throw new ExecError(`no container runtime works here: ${reasons.join('; ')}`);
}
