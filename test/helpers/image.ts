/**
 * Tiny images built by hand for store tests: layer tars from in-memory files (tar-stream),
 * gzipped with node:zlib, with a config and manifest from src/image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { createImageConfig, createManifest, MediaType, parsePlatform, serialize, sha256Of, type Descriptor, type Digest, type ImageConfig } from '../../src/image/index.js';
import type { Store } from '../../src/store/index.js';

export interface TinyFile {
  name: string;
  content?: string;
  mode?: number;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

const EPOCH = new Date(0);

export async function layerTar(files: readonly TinyFile[]): Promise<Buffer> {
  const p = pack();
  for (const f of files) {
    const type = f.type ?? 'file';
    const header = { name: f.name, mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: 0, gid: 0, mtime: EPOCH, type, ...(f.linkname ? { linkname: f.linkname } : {}) };
    if (type === 'file') p.entry(header, Buffer.from(f.content ?? ''));
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface TinyImage {
  manifest: Descriptor;
  config: Descriptor;
  configJson: ImageConfig;
  layers: Descriptor[];
  diffIds: Digest[];
  /** Every blob of the image by digest (manifest included). */
  blobs: Map<Digest, Buffer>;
}

/** An image whose layers hold `layers` (one file list per layer), for `platform`. */
export async function tinyImage(layers: readonly (readonly TinyFile[])[], platform = 'linux/amd64', label = ''): Promise<TinyImage> {
  const blobs = new Map<Digest, Buffer>();
  const descriptors: Descriptor[] = [];
  const diffIds: Digest[] = [];
  for (const files of layers) {
    const tar = await layerTar(files);
    const gz = gzipSync(tar);
    diffIds.push(sha256Of(tar));
    const d: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: sha256Of(gz), size: gz.length };
    blobs.set(d.digest, gz);
    descriptors.push(d);
  }
  const configJson: ImageConfig = {
    ...createImageConfig(parsePlatform(platform)),
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'], ...(label ? { Labels: { label } } : {}) },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  };
  const config = serialize(configJson, MediaType.ociConfig);
  blobs.set(config.descriptor.digest, config.bytes);
  const manifest = serialize(createManifest(config.descriptor, descriptors));
  blobs.set(manifest.descriptor.digest, manifest.bytes);
  return { manifest: manifest.descriptor, config: config.descriptor, configJson, layers: descriptors, diffIds, blobs };
}

export async function putImage(store: Store, image: TinyImage): Promise<void> {
  for (const [digest, bytes] of image.blobs) await store.putBlob(bytes, { digest, size: bytes.length });
}

/** A fresh directory under the system temp dir; `cleanup` removes it. */
export async function tempDir(prefix = 'hull-store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
