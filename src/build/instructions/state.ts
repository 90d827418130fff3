/** Small helpers every instruction module uses to read and update a stage's state. */
import { GraphError } from '../../errors.js';
import { mergeEnv } from '../../graph/args.js';
import type { ContainerConfig, ImageConfig } from '../../image/config.js';
import type { Word } from '../../parse/instructions/types.js';
import { envFromList, ShellExpansionError, ShellLex } from '../../parse/shell/lex.js';
import { DEFAULT_SHELL } from '../defaults.js';
import type { CacheKeyInputs, Effect, StageContext, StageState } from './types.js';

export function configOf(state: StageState): ContainerConfig {
  return state.image.config ?? {};
}

/** The config's ENV as a map (a later entry for a name wins, as in Docker). */
export function configEnv(state: StageState): Map<string, string> {
  return envFromList(configOf(state).Env ?? []);
}

/** What expansion sees: ARG values with ENV of the same name winning (BEHAVIOURS 3). */
export function scope(state: StageState): Map<string, string> {
  return mergeEnv(state.args, configEnv(state));
}

/** A new state whose config has `patch` applied; keys set to undefined are removed. */
export function withConfig(state: StageState, patch: Partial<ContainerConfig>): StageState {
  const config: ContainerConfig = { ...configOf(state), ...patch };
  for (const key of Object.keys(config) as (keyof ContainerConfig)[]) {
    if (config[key] === undefined) delete config[key];
  }
  return { ...state, image: { ...state.image, config } };
}

export function withImage(state: StageState, patch: Partial<ImageConfig>): StageState {
  return { ...state, image: { ...state.image, ...patch } };
}

/** The shell for shell-form commands: SHELL, else the default (BEHAVIOURS 21). */
export function shellOf(state: StageState): string[] {
  const shell = configOf(state).Shell;
  return shell && shell.length > 0 ? [...shell] : [...DEFAULT_SHELL];
}

export function workdirOf(state: StageState): string {
  return configOf(state).WorkingDir || '/';
}

/** One word, expanded, no splitting. Errors become GraphErrors at the word. */
export function expandWord(ctx: StageContext, word: Word, env: ReadonlyMap<string, string>): string {
  return ctx.expander.expand(word, env).result;
}

/** One word, expanded and split into words as the shell would (EXPOSE does this in BuildKit). */
export function expandWords(ctx: StageContext, word: Word, env: ReadonlyMap<string, string>): string[] {
  try {
    return new ShellLex({ escapeToken: ctx.escapeToken }).processWords(word.value, env);
  } catch (err) {
    if (err instanceof ShellExpansionError) throw new GraphError(err.message, at(ctx, word));
    throw err;
  }
}

export function at(ctx: StageContext, word: Word): { file: string; line: number; column: number } {
  return { file: ctx.file, line: word.range.start.line, column: word.range.start.column };
}

/** `ENV` semantics on a `KEY=value` list: replace the entry in place, else append. */
export function setEnv(list: readonly string[], key: string, value: string): string[] {
  const out = [...list];
  const i = out.findIndex((e) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** Sorted `KEY=value` lines of a map, for cache keys. */
export function envLines(env: ReadonlyMap<string, string>): string[] {
  return [...env].map(([k, v]) => `${k}=${v}`).sort();
}

/** The cache inputs of a metadata step: its expanded values and the variables it could see. */
export function metaKey(kind: string, values: unknown, state: StageState): CacheKeyInputs {
  return { instruction: JSON.stringify([kind, values]), env: envLines(scope(state)) };
}

/** The effect of a metadata-only instruction. */
export function metadata(state: StageState, createdBy: string, cacheKey: CacheKeyInputs): Effect {
  return { state, layer: 'none', createdBy, cacheKey };
}

/**
 * Path normalisation as Go's `path.Clean`, but a trailing `/` is kept when asked (a COPY
 * destination ending in `/` is a directory, BEHAVIOURS 12).
 */
export function cleanPath(p: string, keepTrailingSlash = false): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const cleaned = `/${parts.join('/')}`;
  const trailing = keepTrailingSlash && cleaned !== '/' && (p.endsWith('/') || p.endsWith('/.') || p === '.');
  return trailing ? `${cleaned}/` : cleaned;
}

/** `p` made absolute against `dir` (BuildKit's pathRelativeToWorkingDir, BEHAVIOURS 13). */
export function resolveIn(dir: string, p: string, keepTrailingSlash = false): string {
  if (p.startsWith('/')) return cleanPath(p, keepTrailingSlash);
  const rel = p === '' || p === '.' ? './' : p;
  return cleanPath(`${dir}/${rel}`, keepTrailingSlash);
}
