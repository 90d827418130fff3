/**
 * config.json for a RUN step, with Docker's defaults: its capability set, /proc /dev /sys and
 * friends, masked kernel paths, host networking unless `none` (then a fresh netns with only lo).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { HostFiles } from './hostfiles.js';
import type { OciMount, OciSpec } from './spec.js';
import type { ExecUser } from './user.js';

export type NetworkMode = 'host' | 'none';

/** Docker's default capabilities (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Docker's PATH for a container whose env sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * At most this many processes (and threads) in a RUN step's container, through the runtime's pids
 * cgroup: a fork bomb or a runaway loop then fails its forks ("can't fork") and the step ends,
 * instead of taking the machine down. Docker sets no limit; podman sets 2048. HULL_PIDS_LIMIT
 * overrides it, 0 lifts it.
 */
export const DEFAULT_PIDS_LIMIT = 4096;

function pidsLimit(): number {
  const value = process.env['HULL_PIDS_LIMIT'];
  if (value === undefined || value === '') return DEFAULT_PIDS_LIMIT;
  if (!/^\d+$/.test(value)) throw new UsageError(`HULL_PIDS_LIMIT=${value}: expected a number of processes (0: no limit)`);
  return Number(value);
}

export interface BundleOptions {
  rootfs: string;
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  user: ExecUser;
  network: NetworkMode;
  hostname: string;
  hostFiles: HostFiles;
  /** The step's own mounts (RUN --mount, inline heredoc scripts), after the standard ones. */
  extraMounts?: readonly OciMount[];
}

/** Where the runtime mounts something over the rootfs: these paths may appear as empty stubs in the upper dir. */
export function mountDestinations(spec: OciSpec): string[] {
  return spec.mounts.map((m) => m.destination);
}

export function buildSpec(o: BundleOptions): OciSpec {
  const env = o.env.some((e) => e.startsWith('PATH=')) ? [...o.env] : [`PATH=${DEFAULT_PATH}`, ...o.env];
  const caps = [...DEFAULT_CAPABILITIES];
  // Like Docker since 20.10.14: a non-root user keeps the bounding set only, so it gains
  // capabilities solely through setuid/file caps, never just by running as that uid.
  const root = o.user.uid === 0;
  const user = o.user.additionalGids?.length ? { uid: o.user.uid, gid: o.user.gid, additionalGids: [...o.user.additionalGids] } : { uid: o.user.uid, gid: o.user.gid };
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (o.network === 'none') namespaces.push({ type: 'network' });
  const limit = pidsLimit();
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user,
      args: [...o.args],
      env,
      cwd: o.cwd === '' ? '/' : o.cwd,
      capabilities: { bounding: caps, effective: root ? caps : [], permitted: root ? caps : [] },
      noNewPrivileges: false,
    },
    root: { path: o.rootfs, readonly: false },
    hostname: o.hostname,
    mounts: [...mounts(o.hostFiles), ...(o.extraMounts ?? [])],
    linux: {
      namespaces,
      // Deny every device but runc's defaults (null, zero, full, tty, random, urandom, ptmx), as Docker does.
      resources: { devices: [{ allow: false, access: 'rwm' }], ...(limit > 0 ? { pids: { limit } } : {}) },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

function mounts(files: HostFiles): OciMount[] {
  const bind = (destination: string, source: string): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    bind('/etc/resolv.conf', files.resolvConf),
    bind('/etc/hosts', files.hosts),
    bind('/etc/hostname', files.hostname),
  ];
}

/** Writes `spec` as `dir`/config.json (the bundle directory the runtime is pointed at). */
export async function writeBundle(dir: string, spec: OciSpec): Promise<void> {
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
}
