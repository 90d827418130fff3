/**
 * Naming a local image (tag, digest or ID) and, for a multi-platform index, picking the platform:
 * what `inspect`, `history`, `diff` and a build's FROM share.
 */
import { HullError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import type { Descriptor, ImageManifest } from '../image/manifest.js';
import { selectPlatform } from '../image/match.js';
import { hostPlatform, parsePlatform, type Platform } from '../image/platform.js';
import type { Store } from './store.js';

export interface LocalImage {
  /** What the name resolved to (a manifest, or an index). */
  descriptor: Descriptor;
  /** The platform's manifest (the descriptor itself unless it is an index). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The image ID, as docker shows it: the config digest. */
  id: Digest;
}

/** Resolves `name` in the store; an index is narrowed to `platform` (default: this machine's). */
export async function loadImage(store: Store, name: string, platform?: string | Platform): Promise<LocalImage> {
  const descriptor = await store.resolve(name);
  if (!descriptor) throw new HullError(`no such image: ${name} (see 'hull images')`);
  let manifestDescriptor = descriptor;
  let parsed = await store.readManifest(descriptor);
  if (parsed.kind === 'index') {
    manifestDescriptor = selectPlatform(parsed.index.manifests, platform === undefined ? hostPlatform() : typeof platform === 'string' ? parsePlatform(platform) : platform);
    parsed = await store.readManifest(manifestDescriptor);
  }
  if (parsed.kind !== 'manifest') throw new HullError(`${name} is not an image manifest (${descriptor.mediaType})`);
  const config = await store.readConfig(parsed.manifest.config.digest);
  return { descriptor, manifestDescriptor, manifest: parsed.manifest, config, id: parsed.manifest.config.digest };
}
