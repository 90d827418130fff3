// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function,
// per source file, and charged to the nearest hull function on the stack (so the time of a native
// lstat shows up under the hull code that asked for it), with paths relative to the repository.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const V8_BUCKETS = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

/** Node's own code by area: streams and fs callbacks run with no hull frame above them. */
function nodeArea(url: string): string {
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/bootstrap')) return 'node: loading modules';
  if (url.includes('streams')) return 'node: streams';
  if (url.startsWith('node:internal/fs')) return 'node: fs';
  if (url.startsWith('node:internal/process/task_queues')) return 'node: promise and tick queues';
  return `node: ${url.replace(/^node:(internal\/)?/, '')}`;
}

export interface ProfileLine {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: ProfileLine[];
  files: ProfileLine[];
  /** Each sample charged to the innermost frame of hull's own code (dist/src/), else a package or Node. */
  hull: ProfileLine[];
}

function where(url: string, root: string): string {
  if (url === '') return '';
  if (url.startsWith('node:')) return url;
  try {
    return relative(root, url.startsWith('file:') ? fileURLToPath(url) : url);
  } catch {
    return url;
  }
}

/** Self time by function (`name (file:line)`) and by file (V8's own buckets such as "(garbage collector)" kept as they are). */
export function summarizeProfile(file: string, root: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i; charge it to sample i's node
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  const hull = new Map<string, number>();
  const label = (id: number): string => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    return `${functionName || '(anonymous)'} (${where(url, root)}:${lineNumber + 1})`;
  };
  /** The innermost hull frame above a sample; failing that the package, Node itself, or V8's bucket. */
  const owner = (id: number): string => {
    const own = byId.get(id)!.callFrame;
    if (V8_BUCKETS.has(own.functionName) && own.url === '') return own.functionName;
    let pkg: string | undefined;
    let node: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const at = where(byId.get(cur)!.callFrame.url, root);
      if (at.startsWith('dist/src/') || at.startsWith('src/')) return label(cur);
      pkg ??= /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(at)?.[1];
      if (node === undefined && at.startsWith('node:')) node = nodeArea(at);
    }
    return pkg !== undefined ? `package ${pkg}` : `${node ?? 'node: other'} (no hull frame on the stack)`;
  };
  for (const [id, us] of selfUs) {
    const who = owner(id);
    hull.set(who, (hull.get(who) ?? 0) + us);
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const at = where(url, root);
    const name = at === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} (${at}:${lineNumber + 1})`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const fileKey = at === '' ? functionName : at.startsWith('node:') ? 'node: internals' : at;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const lines = (m: Map<string, number>): ProfileLine[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), functions: lines(fn), files: lines(files), hull: lines(hull) };
}
