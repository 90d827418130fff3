/**
 * For the hostile-input tests (test/integration/hostile.test.ts): images whose layers are given
 * byte for byte, pushed to the test registry with plain HTTP (no tool that might tidy a layer up
 * on the way); the state of a directory tree and of the host paths hostile inputs aim at, to
 * compare before and after a build; and what a built image holds, read layer by layer with hull's
 * tar reader, without applying it anywhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createImageConfig, type ImageConfig } from '../../src/image/config.js';
import { sha256Of, type Digest } from '../../src/image/digest.js';
import { createManifest, serialize, type Descriptor } from '../../src/image/manifest.js';
import { MediaType } from '../../src/image/mediatypes.js';
import { parsePlatform } from '../../src/image/platform.js';
import { decompress } from '../../src/layer/compress.js';
import { readTar } from '../../src/layer/index.js';
import { deviceNumbers } from '../../src/layer/walk.js';
import { Store } from '../../src/store/store.js';
import type { TestRegistry } from './registry.js';

/** A layer as a registry serves it. */
export interface RawLayer {
  bytes: Buffer;
  mediaType: string;
  diffID: Digest;
}

/** A layer blob from its bytes: gzip by its magic, else a plain tar (even a broken one). */
export function rawLayer(bytes: Buffer): RawLayer {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { bytes, mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayer, diffID: sha256Of(gzip ? gunzipSync(bytes) : bytes) };
}

/** The layers of image `reference` in the hull store at `root`, bottom first. */
export async function storeLayers(root: string, reference: string): Promise<RawLayer[]> {
  const store = await Store.open(root);
  try {
    const found = await store.resolve(reference);
    if (found === undefined) throw new Error(`no ${reference} in ${root}`);
    const parsed = await store.readManifest(found);
    if (parsed.kind !== 'manifest') throw new Error(`${reference} is an index`);
    const layers: RawLayer[] = [];
    for (const d of parsed.manifest.layers) layers.push({ ...rawLayer(await store.readBlob(d.digest)), mediaType: d.mediaType });
    return layers;
  } finally {
    await store.close();
  }
}

async function putBlob(registry: TestRegistry, repo: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256Of(bytes);
  const started = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`starting an upload to ${repo}: ${started.status}`);
  const location = new URL(started.headers.get('location')!, registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`uploading ${digest} to ${repo}: ${put.status} ${await put.text()}`);
  return { mediaType: '', digest, size: bytes.length };
}

/**
 * Pushes a linux/amd64 image of `layers` as REGISTRY/REPO:1 and returns that reference. The
 * config lists `diffIds` when given (to make it lie), else each layer's own.
 */
export async function publishLayers(registry: TestRegistry, repo: string, layers: readonly RawLayer[], diffIds?: readonly Digest[]): Promise<string> {
  const descriptors: Descriptor[] = [];
  for (const layer of layers) descriptors.push({ ...(await putBlob(registry, repo, layer.bytes)), mediaType: layer.mediaType });
  const ids = diffIds ?? layers.map((l) => l.diffID);
  const config: ImageConfig = {
    ...createImageConfig(parsePlatform('linux/amd64')),
    created: '2024-01-01T00:00:00Z',
    rootfs: { type: 'layers', diff_ids: [...ids] },
    history: ids.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'hostile layer' })),
  };
  const configBlob = serialize(config, MediaType.ociConfig);
  await putBlob(registry, repo, configBlob.bytes);
  const manifest = serialize(createManifest(configBlob.descriptor, descriptors));
  const put = await fetch(`${registry.url}/v2/${repo}/manifests/1`, { method: 'PUT', body: manifest.bytes, headers: { 'content-type': MediaType.ociManifest } });
  if (put.status !== 201) throw new Error(`putting the manifest of ${repo}: ${put.status} ${await put.text()}`);
  return `${registry.host}/${repo}:1`;
}

/**
 * Every path below `dir` (except below `skip`, relative names) with its type, mode, owner, size,
 * mtime, ctime and link target: any write, chmod, chown, rename or new name changes it. Listed by
 * find(1), which walks trees deeper than PATH_MAX and never opens a FIFO or a device.
 */
export function treeState(dir: string, skip: readonly string[] = []): string[] {
  const prune = skip.flatMap((s) => ['-path', join(dir, s), '-prune', '-o']);
  const out = execFileSync('find', [dir, ...prune, '-printf', '%P\\0%y %m %U:%G %s %T@ %C@ %l\\0'], { maxBuffer: 256 << 20 });
  const fields = out.toString('utf8').split('\0');
  const lines: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) lines.push(`${fields[i]}\t${fields[i + 1]}`);
  return lines.sort();
}

/** Host paths the hostile fixtures aim at: none may exist, before or after. */
const OUTSIDE_TARGETS: readonly string[] = [
  '/etc/hull-evil',
  '/etc/hull-abs',
  '/etc/hull-nested',
  '/hull-evil',
  '/hull-pax-evil',
  '/hull-gnu-evil',
  '/sentinel',
  '/pwned',
  ...['hull-evil', 'hull-pax-evil', 'hull-gnu-evil', 'hull-ctx-evil', 'hull-workdir-evil', 'hull-add-evil', 'hull-run-evil', 'sentinel', 'etc'].flatMap((name) =>
    [...new Set(['/tmp', tmpdir()])].map((t) => join(t, name)),
  ),
];

/** What the host looks like where hostile inputs aim: the OUTSIDE_TARGETS present, /etc's names, /etc/passwd's stat. */
export function hostState(): { present: string[]; etc: string[]; passwd: string } {
  const st = lstatSync('/etc/passwd');
  return {
    present: OUTSIDE_TARGETS.filter((p) => existsSync(p) || isLink(p)),
    etc: readdirSync('/etc').sort(),
    passwd: `${st.ino} ${st.size} ${st.mtimeMs} ${st.ctimeMs}`,
  };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** What a path should be: in an image (a tar entry) or on disk. */
export interface FileCheck {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  content?: string;
  size?: number;
  linkname?: string;
  /** Device numbers [major, minor]. */
  rdev?: [number, number];
  /** Every xattr the path carries, name → hex value (`{}`: none). Checked on disk only. */
  xattrs?: Record<string, string>;
}

/** One entry of an image, as its top layer holding the path has it. */
export interface ImageEntry {
  type: FileCheck['type'] | 'link';
  size: number;
  linkname: string;
  rdev: [number, number];
  /** The content of regular files up to CONTENT_LIMIT bytes. */
  content?: Buffer;
}

const CONTENT_LIMIT = 1 << 20;

export interface ImageContents {
  /** Path (no leading or trailing '/') → entry; a later layer's entry replaces an earlier one's. */
  entries: Map<string, ImageEntry>;
  /** Every entry name of every layer, as written. */
  names: string[];
  /** Which of `markers` some file of some layer contains. */
  found: string[];
}

/** Reads image `reference` of the store at `root` layer by layer, looking for `markers` in every file. */
export async function imageContents(root: string, reference: string, markers: readonly string[]): Promise<ImageContents> {
  const store = await Store.open(root);
  const contents: ImageContents = { entries: new Map(), names: [], found: [] };
  const wanted = markers.map((m) => Buffer.from(m));
  const longest = Math.max(0, ...wanted.map((m) => m.length));
  try {
    const found = await store.resolve(reference);
    if (found === undefined) throw new Error(`no ${reference} in ${root}`);
    const parsed = await store.readManifest(found);
    if (parsed.kind !== 'manifest') throw new Error(`${reference} is an index`);
    for (const layer of parsed.manifest.layers) {
      const { stream } = await decompress(await store.getBlob(layer.digest));
      for await (const { header: h, body } of readTar(stream)) {
        contents.names.push(h.name);
        const chunks: Buffer[] = [];
        let tail: Buffer = Buffer.alloc(0);
        for await (const chunk of body) {
          if (h.size <= CONTENT_LIMIT) chunks.push(chunk);
          // A marker may straddle two chunks: look at the end of the last one too.
          const window = Buffer.concat([tail, chunk]);
          for (const [i, m] of wanted.entries()) if (window.includes(m) && !contents.found.includes(markers[i]!)) contents.found.push(markers[i]!);
          tail = chunk.subarray(Math.max(0, chunk.length - longest));
        }
        const type = h.type === 'directory' ? 'dir' : h.type;
        const entry: ImageEntry = { type, size: h.size, linkname: h.linkname, rdev: [h.devmajor, h.devminor] };
        if (h.type === 'file' && h.size <= CONTENT_LIMIT) entry.content = Buffer.concat(chunks);
        contents.entries.set(h.name.replace(/^\/+|\/+$/g, ''), entry);
      }
    }
    return contents;
  } finally {
    await store.close();
  }
}

/** Problems with image entry `path` against `want` (empty when it matches). A hardlink counts as what it links to. */
export function checkImageEntry(contents: ImageContents, path: string, want: FileCheck): string[] {
  let entry = contents.entries.get(path);
  for (let hops = 0; entry?.type === 'link' && hops < 8; hops++) entry = contents.entries.get(entry.linkname.replace(/^\/+/, ''));
  if (entry === undefined) return [`${JSON.stringify(path)} is not in the image`];
  const problems: string[] = [];
  if (entry.type !== want.type) problems.push(`${JSON.stringify(path)} is a ${entry.type}, not a ${want.type}`);
  if (want.content !== undefined && entry.content?.toString('utf8') !== want.content) problems.push(`${JSON.stringify(path)} holds ${JSON.stringify(entry.content?.toString('utf8'))}`);
  if (want.size !== undefined && entry.size !== want.size) problems.push(`${JSON.stringify(path)} has ${entry.size} bytes, not ${want.size}`);
  if (want.linkname !== undefined && entry.linkname !== want.linkname) problems.push(`${JSON.stringify(path)} links to ${JSON.stringify(entry.linkname)}`);
  if (want.rdev !== undefined && entry.rdev.join(':') !== want.rdev.join(':')) problems.push(`${JSON.stringify(path)} is device ${entry.rdev.join(':')}`);
  return problems;
}

function typeOnDisk(st: Stats): FileCheck['type'] | 'other' {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return st.isFIFO() ? 'fifo' : 'other';
}

/** All xattrs of `path` (not following a link), name → hex value, by getfattr. */
function xattrsOf(path: string): Record<string, string> {
  const out = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', path], { encoding: 'utf8' });
  const result: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([^#=][^=]*)=(.*)$/.exec(line);
    if (m) result[m[1]!] = m[2]!;
  }
  return result;
}

/** Problems with `abs` on disk against `want` (empty when it matches). */
export function checkOnDisk(abs: string, want: FileCheck): string[] {
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch {
    return [`${abs} does not exist`];
  }
  const problems: string[] = [];
  const type = typeOnDisk(st);
  if (type !== want.type) problems.push(`${abs} is a ${type}, not a ${want.type}`);
  if (want.content !== undefined && type === 'file' && readFileSync(abs, 'utf8') !== want.content) problems.push(`${abs} holds ${JSON.stringify(readFileSync(abs, 'utf8'))}`);
  if (want.size !== undefined && st.size !== want.size) problems.push(`${abs} has ${st.size} bytes, not ${want.size}`);
  if (want.linkname !== undefined && type === 'symlink' && readlinkSync(abs) !== want.linkname) problems.push(`${abs} links to ${readlinkSync(abs)}`);
  if (want.rdev !== undefined) {
    const { major, minor } = deviceNumbers(BigInt(st.rdev));
    if (`${major}:${minor}` !== want.rdev.join(':')) problems.push(`${abs} is device ${major}:${minor}`);
  }
  if (want.xattrs !== undefined) {
    const got = xattrsOf(abs);
    if (JSON.stringify(got) !== JSON.stringify(want.xattrs)) problems.push(`${abs} carries xattrs ${JSON.stringify(got)}`);
  }
  return problems;
}
