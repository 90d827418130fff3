/**
 * Container ids, and the containers killed hull processes left. SIGKILL cannot be caught: the
 * runtime dies with hull, but the container it started runs on in its own session, and its
 * state and cgroups stay. The id names the hull process that made it (pid and start time, as
 * store/owner.ts tokens do), so another hull process can tell, without any timeout, that its
 * owner is gone; the first RUN step of each process deletes those (`delete --force` kills what
 * still runs in them).
 */
import { randomBytes } from 'node:crypto';
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
}

function abandoned(id: string): boolean {
  const m = ID.exec(id);
  return m !== null && ownerState(`${currentOwner().hostKey}-${m[1]}-${m[2]}`) === 'dead';
}
