/** `--cache-from` / `--cache-to` values, in buildx's syntax. */
import type { CacheSpec } from '../cache/spec.js';
import { UsageError } from '../errors.js';
import { csvFields } from './options.js';

/**
 * `type=registry,ref=REG/REPO:TAG[,mode=min|max]` or `type=local,dest=DIR` (`src=DIR` to import);
 * a bare `REG/REPO:TAG` means a registry, as in buildx.
 */
export function parseCacheSpec(text: string, direction: 'from' | 'to'): CacheSpec {
  const flag = `--cache-${direction}`;
  if (!text.includes('=')) return { type: 'registry', ref: text, mode: 'min' };
  const fields = new Map(csvFields(text, () => new UsageError(`${flag} ${text}: write type=registry,ref=REGISTRY/REPOSITORY:TAG or type=local,${direction === 'to' ? 'dest' : 'src'}=DIR`)));
  const mode = fields.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new UsageError(`${flag} ${text}: mode must be min or max`);
  const known = new Set(['type', 'ref', 'mode', 'dest', 'src']);
  for (const key of fields.keys()) if (!known.has(key)) throw new UsageError(`${flag} ${text}: unknown field "${key}"`);
  switch (fields.get('type')) {
    case 'registry': {
      const ref = fields.get('ref');
      if (!ref) throw new UsageError(`${flag} ${text}: give ref=REGISTRY/REPOSITORY:TAG`);
      return { type: 'registry', ref, mode };
    }
    case 'local': {
      const dir = fields.get(direction === 'to' ? 'dest' : 'src');
      if (!dir) throw new UsageError(`${flag} ${text}: give ${direction === 'to' ? 'dest' : 'src'}=DIR`);
      return { type: 'local', dir, mode };
    }
    default:
      throw new UsageError(`${flag} ${text}: type must be registry or local`);
  }
}
