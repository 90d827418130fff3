/**
 * Who owns a temp file, lease or lock: a token naming this process so that another hull
 * process can tell, without any timeout, whether the owner is still running.
 *
 * Token: `<host key>-<pid>-<start time>`. The host key (a hash of the host name and the PID
 * namespace) keeps a process from judging pids it cannot see (another machine sharing the
 * root over NFS, another container); the start time (from /proc/<pid>/stat) tells a reused pid
 * from the original owner.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export type OwnerState = 'alive' | 'dead' | 'unknown';

export interface Owner {
  token: string;
  hostKey: string;
  pid: number;
  startTime: string;
}

let self: Owner | undefined;

/** This process's identity (computed once). */
export function currentOwner(): Owner {
  if (self) return self;
  const hostKey = computeHostKey();
  const pid = process.pid;
  const startTime = processStartTime(pid) ?? '0';
  self = { token: `${hostKey}-${pid}-${startTime}`, hostKey, pid, startTime };
  return self;
}

function computeHostKey(): string {
  let pidns = '';
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    // No /proc (or not Linux): pids are still meaningful on this host alone.
  }
  return createHash('sha256').update(`${hostname()}\0${pidns}`).digest('hex').slice(0, 8);
}

/**
 * Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started; undefined
 * when the process is gone or a zombie (killed, not yet reaped: it holds nothing any more).
 */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

export function parseOwner(token: string): Owner | undefined {
  const m = /^([0-9a-f]{8})-(\d+)-(\d+)$/.exec(token);
  if (!m) return undefined;
  return { token, hostKey: m[1]!, pid: Number(m[2]), startTime: m[3]! };
}

/** Whether the process behind `token` still runs; `unknown` for owners this process cannot see. */
export function ownerState(token: string): OwnerState {
  const owner = parseOwner(token);
  if (!owner) return 'unknown';
  const me = currentOwner();
  if (owner.hostKey !== me.hostKey) return 'unknown';
  if (owner.pid === me.pid) return owner.startTime === me.startTime ? 'alive' : 'dead';
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  if (owner.startTime === '0') return 'alive';
  const start = processStartTime(owner.pid);
  if (start === undefined) return 'dead';
  return start === owner.startTime ? 'alive' : 'dead';
}
