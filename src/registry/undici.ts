/**
 * undici, loaded the first time a request is made: it is the largest module hull has, and a
 * build served from the cache, or one whose bases are all in the store, never needs it.
 */
import { createRequire } from 'node:module';

type Undici = typeof import('undici');

const load = createRequire(import.meta.url);
let undici: Undici | undefined;

export function lazyUndici(): Undici {
  undici ??= load('undici') as Undici;
  return undici;
}
