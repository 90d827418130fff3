/**
 * What a layer adds, changes and deletes, for `hull diff`. "Changed" needs the paths present in
 * the lower layers; applyToPathSet builds that set layer by layer. Paths are absolute ('/etc/x'),
 * the way `docker diff` prints them.
 */
import type { Readable } from 'node:stream';
import { decompress } from './compress.js';
import { splitEntryName } from './resolve.js';
import { readTar } from './tar/reader.js';
import { classifyWhiteout } from './whiteout.js';

export type ChangeKind = 'added' | 'changed' | 'deleted';

export interface LayerChange {
  kind: ChangeKind;
  path: string;
}

interface Scan {
  /** Paths the layer has an entry for. */
  entries: Set<string>;
  /** Ancestors of those entries (present afterwards even without an entry of their own). */
  ancestors: Set<string>;
  /** Paths deleted by `.wh.` entries. */
  whiteouts: Set<string>;
  /** Directories whose lower contents `.wh..wh..opq` hides. */
  opaque: Set<string>;
}

async function scan(source: Readable): Promise<Scan> {
  const s: Scan = { entries: new Set(), ancestors: new Set(), whiteouts: new Set(), opaque: new Set() };
  const { stream } = await decompress(source);
  for await (const { header } of readTar(stream)) {
    const parts = splitEntryName(header.name, header.name);
    if (parts.length === 0) continue;
    const dir = `/${parts.slice(0, -1).join('/')}`;
    const kind = classifyWhiteout(parts[parts.length - 1]!, header.name);
    if (kind.kind === 'whiteout') s.whiteouts.add(dir === '/' ? `/${kind.target}` : `${dir}/${kind.target}`);
    else if (kind.kind === 'opaque') s.opaque.add(dir);
    else if (kind.kind === 'none') s.entries.add(`/${parts.join('/')}`);
  }
  for (const p of s.entries) for (let up = parentOf(p); up !== '/' && !s.ancestors.has(up); up = parentOf(up)) s.ancestors.add(up);
  return s;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Whether a path of the lower layers is still there once the layer is applied. */
function survives(s: Scan, path: string): boolean {
  if (s.entries.has(path) || s.ancestors.has(path)) return true;
  if (s.whiteouts.has(path)) return false;
  for (let up = parentOf(path); up !== '/'; up = parentOf(up)) {
    if (s.whiteouts.has(up) || s.opaque.has(up)) return false;
  }
  return !s.opaque.has('/');
}

/**
 * The layer's changes, sorted by path. With `lower` (every path of the layers below), entries are
 * `added` or `changed` and only deletions of paths that existed are listed, topmost only, as
 * `docker diff` shows them. Without it every entry is `added`, every whiteout `deleted`, and an
 * opaque directory `/d` is listed as a deletion of `/d/*`.
 */
export async function listChanges(source: Readable, lower?: ReadonlySet<string>): Promise<LayerChange[]> {
  const s = await scan(source);
  const out: LayerChange[] = [];
  if (!lower) {
    for (const p of s.entries) out.push({ kind: 'added', path: p });
    for (const p of s.whiteouts) out.push({ kind: 'deleted', path: p });
    for (const p of s.opaque) out.push({ kind: 'deleted', path: p === '/' ? '/*' : `${p}/*` });
  } else {
    for (const p of s.entries) out.push({ kind: lower.has(p) ? 'changed' : 'added', path: p });
    for (const p of lower) {
      if (s.entries.has(p) || survives(s, p)) continue;
      const up = parentOf(p);
      if (up === '/' || survives(s, up)) out.push({ kind: 'deleted', path: p });
    }
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Applies a layer to a set of paths (as a flattening would): deletions first, then the entries. */
export async function applyToPathSet(source: Readable, paths: Set<string>): Promise<void> {
  const s = await scan(source);
  for (const p of paths) if (!survives(s, p)) paths.delete(p);
  for (const p of s.ancestors) paths.add(p);
  for (const p of s.entries) paths.add(p);
}
