/** Reading back what `hull build` stored: umoci's unpacking, the config, the layers' entry names. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseImageConfig, type ImageConfig } from '../../src/image/config.js';
import type { ImageManifest } from '../../src/image/manifest.js';
import { decompress } from '../../src/layer/compress.js';
import { readTar } from '../../src/layer/index.js';
import { Store } from '../../src/store/store.js';

/** `umoci unpack` of a tag of the store at `root` (a full reference) into `into`; the rootfs path. */
export function unpackImage(root: string, reference: string, into: string): string {
  const bundle = join(into, 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${join(root, 'oci')}:${reference}`, bundle], { stdio: 'pipe' });
  return join(bundle, 'rootfs');
}

async function withManifest<T>(root: string, reference: string, use: (store: Store, manifest: ImageManifest) => Promise<T>): Promise<T> {
  const store = await Store.open(root);
  try {
    const descriptor = await store.resolve(reference);
    if (!descriptor) throw new Error(`no image ${reference} in ${root}`);
    const parsed = await store.readManifest(descriptor);
    if (parsed.kind !== 'manifest') throw new Error(`${reference} is an index`);
    return await use(store, parsed.manifest);
  } finally {
    await store.close();
  }
}

export function imageConfig(root: string, reference: string): Promise<ImageConfig> {
  return withManifest(root, reference, async (store, manifest) => parseImageConfig(await store.readBlob(manifest.config.digest)));
}

/** Every entry name of every layer, in order (whiteouts included). */
export function layerEntryNames(root: string, reference: string): Promise<string[]> {
  return withManifest(root, reference, async (store, manifest) => {
    const names: string[] = [];
    for (const layer of manifest.layers) {
      const { stream } = await decompress(await store.getBlob(layer.digest));
      for await (const entry of readTar(stream)) {
        names.push(entry.header.name);
        for await (const chunk of entry.body) void chunk;
      }
    }
    return names;
  });
}

/** The content of a regular file of the image `reference` (a tag or a manifest digest), read from its layers, top first. */
export function imageFile(root: string, reference: string, path: string): Promise<string | undefined> {
  return withManifest(root, reference, async (store, manifest) => {
    for (const layer of [...manifest.layers].reverse()) {
      const { stream } = await decompress(await store.getBlob(layer.digest));
      let found: string | undefined;
      for await (const entry of readTar(stream)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry.body) if (entry.header.name === path) chunks.push(chunk);
        if (entry.header.name === path) found = Buffer.concat(chunks).toString('utf8');
      }
      if (found !== undefined) return found;
    }
    return undefined;
  });
}
