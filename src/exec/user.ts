/**
 * `USER name[:group]` → numeric ids, the way runc/Docker resolve it: names through the image's
 * /etc/passwd and /etc/group, numbers taken as they are (they need not exist), a user without a
 * group gets its primary group plus the groups listing it as a member.
 */
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ExecError } from '../errors.js';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const ID = /^\d+$/;
const MAX_ID = 2 ** 32 - 2;

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#') || !ID.test(f[2]!) || !ID.test(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#') || !ID.test(f[2]!)) continue;
    out.push({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

function numeric(value: string, what: string): number | undefined {
  if (!ID.test(value)) return undefined;
  const n = Number(value);
  if (n > MAX_ID) throw new ExecError(`${what} ${value} is out of range`);
  return n;
}

/** Resolves `spec` against the passwd and group file contents (undefined: the file is absent). */
export function resolveUserFrom(spec: string, passwd: string | undefined, group: string | undefined): ExecUser {
  const trimmed = spec.trim();
  if (trimmed === '') return { uid: 0, gid: 0 };
  const colon = trimmed.indexOf(':');
  const userPart = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const groupPart = colon < 0 ? undefined : trimmed.slice(colon + 1);
  if (userPart === '') throw new ExecError(`invalid USER "${spec}": no user before the ':'`);
  const users = parsePasswd(passwd ?? '');
  const groups = parseGroup(group ?? '');

  const uidNumber = numeric(userPart, 'uid');
  const entry = uidNumber === undefined ? users.find((u) => u.name === userPart) : users.find((u) => u.uid === uidNumber);
  if (!entry && uidNumber === undefined) {
    throw new ExecError(`unable to find user ${userPart}: no matching entries in passwd file${passwd === undefined ? ' (the image has no /etc/passwd)' : ''}`);
  }
  const uid = uidNumber ?? entry!.uid;

  if (groupPart !== undefined && groupPart !== '') {
    const gidNumber = numeric(groupPart, 'gid');
    if (gidNumber !== undefined) return { uid, gid: gidNumber };
    const g = groups.find((x) => x.name === groupPart);
    if (!g) throw new ExecError(`unable to find group ${groupPart}: no matching entries in group file${group === undefined ? ' (the image has no /etc/group)' : ''}`);
    return { uid, gid: g.gid };
  }
  // A uid with no passwd entry runs with gid 0, as in Docker.
  const gid = entry?.gid ?? 0;
  const name = entry?.name;
  const extra = name === undefined ? [] : groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid);
  const additionalGids = [...new Set(extra)];
  return additionalGids.length > 0 ? { uid, gid, additionalGids } : { uid, gid };
}

/** Resolves `spec` with the passwd/group files of the root filesystem at `rootDir` (the merged dir). */
export async function resolveUser(spec: string, rootDir: string): Promise<ExecUser> {
  const [passwd, group] = await Promise.all([readInRoot(rootDir, '/etc/passwd'), readInRoot(rootDir, '/etc/group')]);
  return resolveUserFrom(spec, passwd, group);
}

/**
 * Reads `path` inside `root`, following symlinks as the container would see them: an absolute
 * link target restarts at `root`, so an image's `/etc/passwd -> /host/file` cannot make us read
 * a host file. Undefined when the file does not exist.
 */
export async function readInRoot(root: string, path: string): Promise<string | undefined> {
  let current = posix.normalize(path);
  for (let hops = 0; hops < 40; hops++) {
    const resolved = await resolveParents(root, current);
    if (resolved === undefined) return undefined;
    const host = join(root, resolved);
    let st;
    try {
      st = await lstat(host);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) return st.isFile() ? readFile(host, 'utf8') : undefined;
    const target = await readlink(host);
    current = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(resolved), target));
  }
  throw new ExecError(`too many levels of symbolic links reading ${path} in the image`);
}

/** Resolves symlinked directories along `path` (all but the last component) within `root`. */
async function resolveParents(root: string, path: string): Promise<string | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const last = parts.pop();
  if (last === undefined) return '/';
  let dir = '/';
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      dir = posix.dirname(dir);
      continue;
    }
    const candidate = posix.join(dir, part);
    let st;
    try {
      st = await lstat(join(root, candidate));
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new ExecError(`too many levels of symbolic links reading ${path} in the image`);
      const target = await readlink(join(root, candidate));
      const rest = target.split('/').filter((p) => p !== '' && p !== '.');
      if (target.startsWith('/')) dir = '/';
      parts.unshift(...rest);
    } else {
      dir = candidate;
    }
  }
  return posix.join(dir, last === '..' ? '.' : last);
}
