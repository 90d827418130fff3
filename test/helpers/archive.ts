/**
 * For save/load tests: the CLI run in-process with binary standard streams, tar archives taken
 * apart and made by hand, and images whose layers are stored uncompressed.
 */
import { Readable, Writable } from 'node:stream';
import { pack } from 'tar-stream';
import type { BinaryIo } from '../../src/cli/binary.js';
import { main } from '../../src/cli/main.js';
import { createImageConfig, createManifest, MediaType, parsePlatform, serialize, sha256Of, type Descriptor, type Digest, type ImageConfig } from '../../src/image/index.js';
import { readTar } from '../../src/layer/index.js';
import { layerTar, type TinyFile, type TinyImage } from './image.js';

export interface HullRun {
  code: number;
  out: string;
  err: string;
  /** What went to the binary standard output. */
  bytes: Buffer;
}

export async function hull(args: string[], options: { stdin?: Buffer; tty?: boolean } = {}): Promise<HullRun> {
  let out = '';
  let err = '';
  const chunks: Buffer[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const io: BinaryIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdin: async () => '',
    sources: new Map(),
    binary: { stdout, stdin: Readable.from([options.stdin ?? Buffer.alloc(0)]), stdoutIsTTY: options.tty ?? false, stdinIsTTY: false },
  };
  const code = await main(args, io);
  return { code, out, err, bytes: Buffer.concat(chunks) };
}

export interface Member {
  name: string;
  type: string;
  linkname: string;
  mode: number;
  mtime: number;
  data: Buffer;
}

/** Every member of a tar, in order. */
export async function untar(bytes: Buffer): Promise<Member[]> {
  const out: Member[] = [];
  for await (const entry of readTar([bytes])) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body) chunks.push(chunk);
    const h = entry.header;
    out.push({ name: h.name, type: h.type, linkname: h.linkname, mode: h.mode, mtime: h.mtime, data: Buffer.concat(chunks) });
  }
  return out;
}

export function byName(members: readonly Member[]): Map<string, Buffer> {
  return new Map(members.filter((m) => m.type === 'file').map((m) => [m.name, m.data]));
}

export interface HandEntry {
  name: string;
  data?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

/** A tar made with tar-stream, independent of the writer under test. */
export async function makeTar(entries: readonly HandEntry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (type === 'file') p.entry(header, typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0)));
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Like tinyImage, but with uncompressed layers: each layer's digest is its diff ID. */
export async function plainImage(layers: readonly (readonly TinyFile[])[], platform = 'linux/amd64'): Promise<TinyImage> {
  const blobs = new Map<Digest, Buffer>();
  const descriptors: Descriptor[] = [];
  const diffIds: Digest[] = [];
  for (const files of layers) {
    const tar = await layerTar(files);
    const d: Descriptor = { mediaType: MediaType.ociLayer, digest: sha256Of(tar), size: tar.length };
    diffIds.push(d.digest);
    blobs.set(d.digest, tar);
    descriptors.push(d);
  }
  const configJson: ImageConfig = {
    ...createImageConfig(parsePlatform(platform)),
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `plain layer ${i}` })),
  };
  const config = serialize(configJson, MediaType.ociConfig);
  blobs.set(config.descriptor.digest, config.bytes);
  const manifest = serialize(createManifest(config.descriptor, descriptors));
  blobs.set(manifest.descriptor.digest, manifest.bytes);
  return { manifest: manifest.descriptor, config: config.descriptor, configJson, layers: descriptors, diffIds, blobs };
}
