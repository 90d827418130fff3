/** Where `--cache-from` reads and `--cache-to` writes a build cache (parsed in cli/cache-spec.ts). */

export type CacheMode = 'min' | 'max';

export type CacheSpec =
  | { type: 'registry'; ref: string; mode: CacheMode }
  | { type: 'local'; dir: string; mode: CacheMode };
