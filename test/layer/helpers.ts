import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extractLayer, writeLayer, type ExtractOptions, type LayerBlob, type WriteLayerOptions } from '../../src/layer/index.js';

export const isRoot = process.getuid?.() === 0;

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** A fresh temp dir, removed by the returned cleanup. */
export async function tempDir(prefix = 'hull-layer-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function packToFile(src: string, file: string, options: WriteLayerOptions = {}): Promise<LayerBlob> {
  return writeLayer(src, createWriteStream(file), options);
}

export async function extractFile(file: string, target: string, options: ExtractOptions = {}) {
  return extractLayer(createReadStream(file), target, options);
}

export function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

/** Runs a command, returning stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return r.stdout;
}

export function xattrsOf(path: string): Record<string, string> {
  const out = run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', path]).toString();
  const result: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([^#=][^=]*)=(.*)$/.exec(line);
    if (m) result[m[1]!] = m[2]!;
  }
  return result;
}

export interface Described {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha?: string;
  link?: string;
  rdev?: number;
  /** The first path of the tree sharing this inode, for hardlinks. */
  sameAs?: string;
  xattrs?: Record<string, string>;
}

/** Everything about a tree that a layer round trip must keep, keyed by relative path. */
export function describeTree(root: string, options: { xattrs?: boolean; mtimeOfDirs?: boolean } = {}): Record<string, Described> {
  const out: Record<string, Described> = {};
  const inodes = new Map<string, string>();
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      const d: Described = {
        type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other',
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (st.isDirectory() && options.mtimeOfDirs === false) d.mtime = 0;
      if (st.isFile()) {
        d.size = st.size;
        d.sha = createHash('sha256').update(readFileSync(abs)).digest('hex');
      }
      if (st.isSymbolicLink()) d.link = readlinkSync(abs);
      if (st.isCharacterDevice() || st.isBlockDevice()) d.rdev = st.rdev;
      if (!st.isDirectory() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first) d.sameAs = first;
        else inodes.set(key, r);
      }
      if (options.xattrs) {
        const x = xattrsOf(abs);
        if (Object.keys(x).length) d.xattrs = x;
      }
      out[r] = d;
      if (st.isDirectory()) visit(abs, r);
    }
  };
  visit(root, '');
  return out;
}

/** The entries of a tar stream as [name, type, extra] rows, read by tar-stream (an independent reader). */
export async function listWithTarStream(data: Buffer): Promise<Array<{ name: string; type: string; linkname: string | null; size: number; uid: number; gid: number; uname: string; mtime: number; mode: number }>> {
  const tar = await import('tar-stream');
  const ex = tar.extract();
  const rows: Array<{ name: string; type: string; linkname: string | null; size: number; uid: number; gid: number; uname: string; mtime: number; mode: number }> = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      rows.push({
        name: h.name,
        type: String(h.type),
        linkname: h.linkname ?? null,
        size: h.size ?? 0,
        uid: h.uid ?? -1,
        gid: h.gid ?? -1,
        uname: h.uname ?? '',
        mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
        mode: h.mode ?? 0,
      });
      stream.on('end', () => next());
      stream.resume();
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  Readable.from([data]).pipe(ex);
  await done;
  return rows;
}
