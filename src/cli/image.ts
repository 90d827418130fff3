/**
 * What the local-image commands share: naming an image (tag, digest or ID) and, for a
 * multi-platform index, picking the platform; human sizes and ages for tables.
 */
import { HullError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import type { Descriptor, ImageManifest } from '../image/manifest.js';
import { selectPlatform } from '../image/match.js';
import { hostPlatform, parsePlatform } from '../image/platform.js';
import type { Store } from '../store/store.js';

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
export async function loadImage(store: Store, name: string, platform?: string): Promise<LocalImage> {
  const descriptor = await store.resolve(name);
  if (!descriptor) throw new HullError(`no such image: ${name} (see 'hull images')`);
  let manifestDescriptor = descriptor;
  let parsed = await store.readManifest(descriptor);
  if (parsed.kind === 'index') {
    manifestDescriptor = selectPlatform(parsed.index.manifests, platform === undefined ? hostPlatform() : parsePlatform(platform));
    parsed = await store.readManifest(manifestDescriptor);
  }
  if (parsed.kind !== 'manifest') throw new HullError(`${name} is not an image manifest (${descriptor.mediaType})`);
  const config = await store.readConfig(parsed.manifest.config.digest);
  return { descriptor, manifestDescriptor, manifest: parsed.manifest, config, id: parsed.manifest.config.digest };
}

/** `docker images` sizes: decimal units, three significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toPrecision(3).replace(/\.?0+$/, '')}${units[unit]}`;
}

/** `5 minutes ago`, `2 days ago`, as docker prints ages. */
export function humanAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'N/A';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const steps: [number, string][] = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let value = seconds;
  for (const [size, name] of steps) {
    if (value < size) return `${Math.floor(value)} ${name}${Math.floor(value) === 1 ? '' : 's'} ago`;
    value /= size;
  }
  return 'a long time ago';
}

/** Left-aligned columns separated by three spaces, as docker's tables are. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n') + '\n';
}
