/** `--compression` and `--compression-level`, shared by the commands that write layers. */
import { UsageError } from '../errors.js';
import type { Compression } from '../image/mediatypes.js';

const COMPRESSIONS: readonly Compression[] = ['gzip', 'zstd', 'none'];
const LEVELS: Record<Compression, [number, number] | undefined> = { gzip: [1, 9], zstd: [1, 19], none: undefined };

export const COMPRESSION_OPTIONS = {
  compression: { type: 'string', default: 'gzip' },
  'compression-level': { type: 'string' },
} as const;

export const COMPRESSION_USAGE = `      --compression C      layers as gzip (default), zstd or none
      --compression-level N  gzip 1–9 (default 1, as kaniko; Docker's size is 6) or
                           zstd 1–19 (default 3)`;

export interface CompressionChoice {
  compression: Compression;
  level?: number;
}

export function parseCompression(values: { compression?: string; 'compression-level'?: string }): CompressionChoice {
  const compression = (values.compression ?? 'gzip') as Compression;
  if (!COMPRESSIONS.includes(compression)) throw new UsageError(`--compression ${values.compression}: choose gzip, zstd or none`);
  const text = values['compression-level'];
  if (text === undefined) return { compression };
  const range = LEVELS[compression];
  if (range === undefined) throw new UsageError(`--compression-level: ${compression} has no levels`);
  const level = Number(text);
  if (!/^\d+$/.test(text) || level < range[0] || level > range[1]) throw new UsageError(`--compression-level ${text}: ${compression} takes ${range[0]}–${range[1]}`);
  return { compression, level };
}
