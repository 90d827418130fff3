/**
 * ARG scoping and word expansion, BuildKit's way: ARGs before the first FROM form the global
 * scope, seen only by FROM lines; a stage sees an ARG from its declaration on (a bare
 * `ARG NAME` takes the global value), child stages inherit their parent's ARGs, and ENV of the
 * same name wins over an ARG.
 */
import { GraphError, type SourcePosition } from '../errors.js';
import type { ArgDeclaration, Word } from '../parse/instructions/index.js';
import { ShellExpansionError, ShellLex, type ShellEnv } from '../parse/shell/lex.js';

/** Usable without an ARG line; they reach RUN's environment but never the history. */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

export const PLATFORM_ARGS: readonly string[] = [
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
];

export interface Expansion {
  result: string;
  /** Variables the word used that had no value. */
  unmatched: Set<string>;
}

/** Expands words with the Dockerfile's escape token; errors become GraphErrors at the word. */
export class Expander {
  private readonly lex: ShellLex;

  constructor(
    private readonly file: string,
    escapeToken: '\\' | '`',
  ) {
    this.lex = new ShellLex({ escapeToken });
  }

  expand(word: Word, env: ShellEnv): Expansion {
    try {
      const { result, unmatched } = this.lex.processWordWithMatches(word.value, env);
      return { result, unmatched };
    } catch (err) {
      if (err instanceof ShellExpansionError) {
        const { start, end } = word.range;
        // The offset is only meaningful when the word sits on one line.
        const column = start.line === end.line ? start.column + err.offset : start.column;
        throw new GraphError(err.message, {
          file: this.file,
          line: start.line,
          column,
        });
      }
      throw err;
    }
  }

  position(at: Word['range']['start']): SourcePosition {
    return { file: this.file, line: at.line, column: at.column };
  }
}

export interface ArgSources {
  buildArgs: ReadonlyMap<string, string>;
  /** The global scope's final values (predefined platform ARGs included). */
  globals: ReadonlyMap<string, string>;
}

/**
 * The value an `ARG` line gives inside a stage; undefined when it stays unset. `expandDefault`
 * expands the default with the environment before the line. Exported so the builder, which
 * knows the base image's ENV, can re-evaluate a default that refers to it.
 */
export function stageArgValue(decl: ArgDeclaration, sources: ArgSources, expandDefault: (raw: string) => string): string | undefined {
  const fromCli = sources.buildArgs.get(decl.name);
  if (fromCli !== undefined) return fromCli;
  if (decl.default !== undefined) return expandDefault(decl.default);
  return sources.globals.get(decl.name);
}

/** ENV over ARG, as every instruction after both sees them. */
export function mergeEnv(args: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>): Map<string, string> {
  const merged = new Map(args);
  for (const [k, v] of env) merged.set(k, v);
  return merged;
}

export interface GlobalScope {
  values: Map<string, string>;
  /** Every name an ARG before the first FROM declares, set or not. */
  declared: Set<string>;
}

/**
 * Runs the ARG lines before the first FROM: a `--build-arg` wins, else the default expanded
 * with the globals before it. The platform ARGs are there from the start.
 */
export function evaluateGlobals(
  lines: readonly { args: readonly ArgDeclaration[] }[],
  predefined: ReadonlyMap<string, string>,
  buildArgs: ReadonlyMap<string, string>,
  expander: Expander,
): GlobalScope {
  const values = new Map(predefined);
  const declared = new Set<string>();
  for (const line of lines) {
    for (const decl of line.args) {
      declared.add(decl.name);
      const fromCli = buildArgs.get(decl.name);
      if (fromCli !== undefined) values.set(decl.name, fromCli);
      else if (decl.default !== undefined) {
        values.set(decl.name, expander.expand(defaultWord(decl), values).result);
      }
    }
  }
  return { values, declared };
}

/** The default of `NAME=value` as a word of its own, so expansion errors point into it. */
export function defaultWord(decl: ArgDeclaration): Word {
  const { start, end } = decl.word.range;
  const shift = decl.name.length + 1;
  const column = start.line === end.line ? start.column + shift : start.column;
  return { value: decl.default ?? '', range: { start: { line: start.line, column }, end } };
}
