/**
 * Container ids, and the containers killed hull processes left. SIGKILL cannot be caught: the
 * runtime dies with hull, but the container it started runs on in its own session, and its
 * state and cgroups stay. The id names the hull process that made it (pid and start time, as
 * store/owner.ts tokens do), so another hull process can tell, without any timeout, that its
 * owner is gone; the first RUN step of each process deletes those (`delete --force` kills what
 * still runs in them).
 *
 * A kill in the middle of `runc create` leaves a container the runtime no longer knows: its state
 * directory holds only `exec.fifo` (no state.json, so `list` skips it and `delete` refuses it),
 * its init process may still wait on that fifo, and its cgroups stay. Those are removed by hand:
 * the processes in the container's cgroups killed, the empty cgroups and the state dir removed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { currentOwner, ownerState } from '../store/owner.js';
import { runTool } from './proc.js';

const ID = /^hull-(\d+)-(\d+)-[0-9a-f]{12}$/;

/** A container id unique on this host (the OCI runtimes keep state under it in /run). */
export function containerId(): string {
  const { pid, startTime } = currentOwner();
  return `hull-${pid}-${startTime}-${randomBytes(6).toString('hex')}`;
}

const reaped = new Map<string, Promise<void>>();

/** Deletes the containers of dead hull processes known to the runtime `binary`, once per process. */
export function reapAbandonedContainers(binary: string): Promise<void> {
  let done = reaped.get(binary);
  if (done === undefined) {
    done = reap(binary);
    reaped.set(binary, done);
  }
  return done;
}

async function reap(binary: string): Promise<void> {
  const listed = await runTool(binary, ['list', '-q']);
  if (listed.code !== 0) return;
  for (const id of listed.stdout.split('\n').map((line) => line.trim())) {
    // Two processes reaping at once: the second delete fails, harmlessly.
    if (abandoned(id)) await runTool(binary, ['delete', '--force', id]);
  }
  removeHalfCreated(stateRoot(binary));
}

/** Where runc and crun keep container state when run as root without --root (hull passes none). */
function stateRoot(binary: string): string {
  return join('/run', basename(binary));
}

/** The cgroup directories the runtime made for container `id`: one per v1 hierarchy, or one in v2. */
function cgroupDirs(id: string): string[] {
  const base = '/sys/fs/cgroup';
  if (existsSync(join(base, id))) return [join(base, id)];
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(base);
  } catch {
    return [];
  }
  return hierarchies.map((h) => join(base, h, id)).filter((dir) => existsSync(dir));
}

function processesIn(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter((p) => p !== '').map(Number);
  } catch {
    return [];
  }
}

function removeHalfCreated(root: string): void {
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return;
  }
  for (const id of ids) {
    // A state.json means the runtime knows it: `delete` above had its chance.
    if (!abandoned(id) || existsSync(join(root, id, 'state.json'))) continue;
    const cgroups = cgroupDirs(id);
    for (const pid of cgroups.flatMap(processesIn)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    try {
      // A cgroup whose killed processes have not been reaped yet is still busy: the next build tries again.
      for (const dir of cgroups) rmdirSync(dir);
      rmSync(join(root, id), { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
    }
  }
}

function abandoned(id: string): boolean {
  const m = ID.exec(id);
  return m !== null && ownerState(`${currentOwner().hostKey}-${m[1]}-${m[2]}`) === 'dead';
}
