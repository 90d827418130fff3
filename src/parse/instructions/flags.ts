/**
 * Flag checking shared by all instructions, after BuildKit's BFlags: each instruction says which
 * `--flags` it accepts and of what kind; anything unknown, repeated (except lists) or
 * malformed is a ParseError at the flag.
 */
import type { Flag, Range } from '../ast.js';
import { fail, keywordOf, type ParseContext } from './common.js';
import { parseGoDuration } from './duration.js';
import { didYouMean } from './suggest.js';
import type { Word } from './types.js';

/**
 * `string`: `--from=x`; `bool`: `--link` or `--link=true|false`; `list`: repeatable
 * (`--exclude`, `--mount`); `duration`: Go syntax in nanoseconds; `int`: a 32-bit integer.
 */
export type FlagKind = 'string' | 'bool' | 'list' | 'duration' | 'int';

export interface FlagRules {
  accepted: Readonly<Record<string, FlagKind>>;
  /** Flags that belong to other instructions, each with the sentence that says so. */
  elsewhere?: Readonly<Record<string, string>>;
}

type Value = { kind: 'string'; word: Word } | { kind: 'bool'; value: boolean } | { kind: 'list'; words: Word[] } | { kind: 'number'; value: number };

export class ParsedFlags {
  private readonly values = new Map<string, Value>();
  private readonly ranges = new Map<string, Range>();

  /** @internal */
  set(name: string, value: Value, range: Range): void {
    this.values.set(name, value);
    if (!this.ranges.has(name)) this.ranges.set(name, range);
  }

  /** @internal */
  get(name: string): Value | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The value with the whole flag's range, so later errors can point at it. */
  string(name: string): Word | undefined {
    const v = this.values.get(name);
    return v?.kind === 'string' ? v.word : undefined;
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return v?.kind === 'bool' ? v.value : undefined;
  }

  list(name: string): Word[] {
    const v = this.values.get(name);
    return v?.kind === 'list' ? v.words : [];
  }

  /** Durations (nanoseconds) and ints. */
  number(name: string): number | undefined {
    const v = this.values.get(name);
    return v?.kind === 'number' ? v.value : undefined;
  }

  /** The first occurrence of the flag. */
  range(name: string): Range | undefined {
    return this.ranges.get(name);
  }
}

export function parseFlags(ctx: ParseContext, rules: FlagRules): ParsedFlags {
  const parsed = new ParsedFlags();
  for (const flag of ctx.node.flags) readFlag(ctx, rules, flag, parsed);
  return parsed;
}

function readFlag(ctx: ParseContext, rules: FlagRules, flag: Flag, parsed: ParsedFlags): void {
  const kw = keywordOf(ctx);
  const at = flag.range.start;
  const { name, value } = flag;
  if (name === '') fail(ctx, at, `"${flag.raw}" is not a flag: a flag needs a name after --`);
  const kind = Object.prototype.hasOwnProperty.call(rules.accepted, name) ? rules.accepted[name] : undefined;
  if (kind === undefined) {
    const elsewhere = rules.elsewhere?.[name];
    if (elsewhere !== undefined) fail(ctx, at, elsewhere);
    const names = Object.keys(rules.accepted);
    if (names.length === 0) fail(ctx, at, `${kw} takes no flags, but --${name} was given`);
    const hint = didYouMean(name, names, (s) => `--${s}`);
    const list = names.map((n) => `--${n}`).join(', ');
    fail(ctx, at, `unknown flag --${name} for ${kw}${hint}; ${kw} accepts ${list}`);
  }
  if (kind !== 'list' && parsed.has(name)) {
    fail(ctx, at, `--${name} is given more than once; ${kw} takes it once`);
  }
  if (kind === 'bool') {
    parsed.set(name, { kind: 'bool', value: readBool(ctx, flag) }, flag.range);
    return;
  }
  if (value === null) fail(ctx, at, `--${name} needs a value: --${name}=<${placeholder(kind)}>`);
  if (value === '') fail(ctx, at, `--${name}= has an empty value: give --${name}=<${placeholder(kind)}> or leave the flag out`);
  const word: Word = { value, range: flag.range };
  switch (kind) {
    case 'string':
      parsed.set(name, { kind: 'string', word }, flag.range);
      return;
    case 'list': {
      const prev = parsed.get(name);
      const words = prev?.kind === 'list' ? prev.words : [];
      words.push(word);
      parsed.set(name, { kind: 'list', words }, flag.range);
      return;
    }
    case 'duration': {
      const ns = parseGoDuration(value);
      if (ns === undefined) {
        fail(ctx, at, `--${name}=${value} is not a duration: write it like 30s, 1m30s, 1.5h or 100ms`);
      }
      parsed.set(name, { kind: 'number', value: ns }, flag.range);
      return;
    }
    case 'int': {
      const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1 || n < -(2 ** 31)) {
        fail(ctx, at, `--${name}=${value} is not a whole number`);
      }
      parsed.set(name, { kind: 'number', value: n }, flag.range);
      return;
    }
  }
}

function readBool(ctx: ParseContext, flag: Flag): boolean {
  if (flag.value === null) return true;
  const lower = flag.value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (flag.value === '') {
    fail(ctx, flag.range.start, `--${flag.name}= has an empty value: write --${flag.name}, --${flag.name}=true or --${flag.name}=false`);
  }
  fail(ctx, flag.range.start, `--${flag.name} takes true or false, not "${flag.value}"`);
}

function placeholder(kind: FlagKind): string {
  switch (kind) {
    case 'duration':
      return 'duration';
    case 'int':
      return 'number';
    default:
      return 'value';
  }
}
