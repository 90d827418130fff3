// What the parser fuzz tests share: the seed corpus, the mutators, the oracle (the parser's
// contract: for ANY text, parseDockerfile returns a Dockerfile that dumps, or throws a located
// ParseError, never anything else and never hangs), and the worker that runs a fuzz loop under a
// watchdog. fuzz.test.ts drives it with blind seeded mutation, fuzz-coverage.test.ts with V8
// block coverage as feedback.
//
// A fuzz loop runs in a worker thread so that a parse that never returns (an infinite loop
// blocks its thread: no timer would fire) can still be detected and reported by the main thread,
// which watches a heartbeat in shared memory and terminates the worker.
//
// This module has no side effects on import: `node --test dist/test/` loads it as a test file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ParseError } from '../../src/errors.js';
import { dumpDockerfile } from '../../src/parse/dump.js';
import { parseDockerfile } from '../../src/parse/parser.js';
import type { Dockerfile, Range } from '../../src/parse/ast.js';
import type { Rng } from '../helpers/random.js';

export const DEFAULT_SEED = 20240611;
/** One parse (or one dump) slower than this is a failure: hull parses 2-11 MB/s (bench/parse), so any mutant (at most MAX_INPUT chars) should take well under a second. */
const SLOW_MS = 2000;
/** A worker silent this long is stuck in one input, not merely slow: terminate it. */
export const HANG_MS = 10_000;
/** After this many hangs (or out-of-memory deaths) the run stops: a hang costs HANG_MS of waiting. */
export const MAX_HANGS = 3;
/** The worker's heap cap: a linear parser needs a few MB per MB of input, so this means a blow-up. */
const WORKER_HEAP_MB = 1024;
/** Mutants are cut to this size so that stacked duplications cannot grow without bound. */
const MAX_INPUT = 1_000_000;
/** One input in this many (if at most PROBE_MAX_CHARS long) is parsed a second time, after the next one. */
const PROBE_EVERY = 4;
const PROBE_MAX_CHARS = 50_000;
/** Time given to shrinking each distinct failure before it is reported. */
export const SHRINK_MS = 3000;
/** At most this many distinct failures are shrunk, so that a run with many finds still ends. */
export const MAX_SHRUNK = 8;
const FILE = 'fuzz/Dockerfile';

// ---------------------------------------------------------------------------------------------
/** Mixes seed and index (splitmix-style) so neighbouring indices get unrelated streams. */
export function streamSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, items: readonly T[]): T => items[int(r, items.length)]!;
/** Mostly small, sometimes huge: sizes spread over orders of magnitude find more than uniform ones. */
const size = (r: Rng, max: number): number => Math.max(1, Math.floor(Math.pow(max, r())));

// ---------------------------------------------------------------------------------------------
// Corpus: every conformance Dockerfile plus the Dockerfiles embedded in heredoc.json.

export function loadCorpus(root: string): string[] {
  const out: string[] = [];
  for (const sub of ['parser', 'parser-negative']) {
    const dir = join(root, sub);
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name, 'Dockerfile');
      if (existsSync(file)) out.push(readFileSync(file, 'utf8'));
    }
  }
  const realworld = join(root, 'realworld');
  for (const name of readdirSync(realworld).sort()) {
    const file = join(realworld, name);
    if (statSync(file).isFile()) out.push(readFileSync(file, 'utf8'));
  }
  const heredoc = join(root, 'parser', 'heredoc.json');
  if (existsSync(heredoc)) collectDockerfiles(JSON.parse(readFileSync(heredoc, 'utf8')) as unknown, out);
  return out;
}

function collectDockerfiles(value: unknown, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectDockerfiles(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'dockerfile' && typeof v === 'string') out.push(v);
      else collectDockerfiles(v, out);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations.

const KEYWORDS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT',
  'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'onbuild',
  'from', 'Run', 'ONBUILD ONBUILD', 'HEALTHCHECK NONE', 'HEALTHCHECK CMD', 'FROM scratch AS',
];

const TOKENS = [
  '\\', '`', '# escape=`\n', '# escape=\\\n', '<<EOF', '<<-EOF', "<<-'EOF'", '<<"EOF"', '3<<EOF',
  '<<EOF\nEOF\n', '\nEOF\n', '[', ']', '["', '"]', '[]', '"', "'", '--', '--mount=', '--from=',
  '--chown=', '--mount=type=cache,target=/x', '--mount=type=bind,from=a,source=b,target=c',
  '--network=none', '--link', '--chmod=755', '--interval=', '--platform=$BUILDPLATFORM',
  '${', '}', '$', '${A:-b}', '${A:+b}', '${A#b}', '${A%%b}', '${A/b/c}', '$(', ')', '\r', '\r\n',
  '\0', '\n', ' \\\n', '\\\n', '`\n', '\t', ' ', '=', ',', '#', '# comment\n', '\n#\n',
  '\u00a0', '\ufeff', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', '\ufffd', 'AS', ' AS ',
  '"\\"', "'\\'", '\\"', '{"a":1}', '[1,2]', '["a" "b"]', '["a",]', 'null', '--=', '-- ',
  '\\ ', '\\\t\n', '\\\r\n', '\\\\\n', '# syntax=docker/dockerfile:1\n', '# check=skip=all\n',
];

const RUN_CHARS = [
  'a', ' ', '\\', '`', '[', ']', '"', "'", '$', '{', '}', '\t', '\n', '\r', '#', '-', '=', ',',
  '\u00a0', '<', '\0', ':', '/', '\ufeff',
];

const NESTS: readonly (readonly [string, string])[] = [
  ['[', ']'], ['["', '"]'], ['[[', ']]'], ['${', '}'], ['${A:-', '}'], ['$(', ')'], ['"', '"'],
  ["'", "'"], ['{', '}'], ['<<', ''], ['--', ''], ['\\', ''],
];

const ESCAPE_PREFIXES = [
  '# escape=`\n', '# escape=\\\n', '# syntax=docker/dockerfile:1\n# escape=`\n', '#escape=`\n',
  '# escape = `\n', '# escape=x\n', '# escape=\n', '# escape=``\n', '\ufeff# escape=`\n',
  '# escape=`\n# escape=\\\n', '# directive=value\n# escape=`\n', '#\n# escape=`\n',
];

const HEREDOC_OPENERS = [
  'RUN <<EOF\n', 'RUN <<-EOF\n', "RUN <<-'EOF'\n", 'RUN <<"EOF" <<EOF2\n', 'COPY <<EOF /x\n',
  'COPY <<-EOF <<EOF2 /y\n', 'RUN cat <<EOF > /f\n', 'RUN 3<<EOF\n', 'RUN <<EOF\necho hi\nEOF\n',
  'RUN <<-EOF\n\tx\n\tEOF\n', 'RUN <<EOF\n\\\nEOF\n', 'ADD <<EOF /z\n', 'RUN <<E\\\nOF\n',
  'RUN <<$A\n', 'RUN <<${A}\n', 'RUN <<""\n', 'RUN << EOF\n',
  // Marker names go through the shell lexer: expansions and quotes inside them reach its rare
  // paths (modifiers, replacements, unbalanced braces) that whole instructions seldom do.
  'RUN <<${A:-EOF}\n', 'RUN <<${A/E/F}\n', 'RUN <<${A//#}\n', 'RUN <<${A#E}\n', 'RUN <<${A%%F}\n',
  'RUN <<${A:+x}EOF\n', 'RUN <<${A?}\n', 'RUN <<${A\n', 'RUN <<${}\n', 'RUN <<E"O"F\n', "RUN <<'E'\"O\"F\n",
  'RUN <<"$A"\n', 'RUN <<\\EOF\n', 'COPY <<${A:-x}EOF /x\n', 'RUN <<EOF <<"EOF"\n', 'RUN <<-${A=E}\n',
];

/** A random position, half of the time at the start of a line. */
function position(r: Rng, s: string): number {
  const at = int(r, s.length + 1);
  if (r() < 0.5) return at;
  const nl = s.lastIndexOf('\n', at - 1);
  return nl + 1;
}

const insert = (s: string, at: number, piece: string): string => s.slice(0, at) + piece + s.slice(at);

function lineBoundary(r: Rng, s: string): number {
  const at = int(r, s.length + 1);
  const nl = s.indexOf('\n', at);
  return nl < 0 ? s.length : nl + 1;
}

type Mutator = (s: string, r: Rng, corpus: readonly string[]) => string;

const MUTATORS: readonly (readonly [string, Mutator])[] = [
  ['flip-char', (s, r) => {
    let out = s;
    for (let n = size(r, 32); n > 0 && out.length > 0; n--) {
      const at = int(r, out.length);
      const c = r() < 0.5 ? pick(r, RUN_CHARS) : String.fromCharCode(r() < 0.7 ? int(r, 128) : int(r, 0x10000));
      out = out.slice(0, at) + c + out.slice(at + 1);
    }
    return out;
  }],
  ['insert-token', (s, r) => {
    let out = s;
    for (let n = size(r, 16); n > 0; n--) out = insert(out, position(r, out), pick(r, TOKENS));
    return out;
  }],
  ['insert-keyword', (s, r) => insert(s, position(r, s), `${pick(r, KEYWORDS)}${r() < 0.5 ? ' ' : ''}`)],
  ['delete-slice', (s, r) => {
    const at = int(r, s.length + 1);
    return s.slice(0, at) + s.slice(at + size(r, Math.max(2, s.length - at)));
  }],
  ['duplicate-slice', (s, r) => {
    const from = int(r, s.length + 1);
    const piece = s.slice(from, from + size(r, 4096));
    return insert(s, int(r, s.length + 1), piece.repeat(size(r, 64)));
  }],
  ['truncate', (s, r) => s.slice(0, int(r, s.length + 1))],
  ['splice-lines', (s, r, corpus) => {
    const other = pick(r, corpus);
    return s.slice(0, lineBoundary(r, s)) + other.slice(lineBoundary(r, other));
  }],
  ['splice-chars', (s, r, corpus) => {
    const other = pick(r, corpus);
    return s.slice(0, int(r, s.length + 1)) + other.slice(int(r, other.length + 1));
  }],
  ['bytes', (s, r) => {
    // Work on UTF-8 bytes and decode back, as a file read with readFileSync(…, 'utf8') would be:
    // broken sequences become U+FFFD, overlong and surrogate encodings included.
    const bytes = Buffer.from(s, 'utf8');
    const parts: Buffer[] = [];
    let last = 0;
    const cuts = Array.from({ length: size(r, 16) }, () => int(r, bytes.length + 1)).sort((a, b) => a - b);
    for (const cut of cuts) {
      parts.push(bytes.subarray(last, cut));
      last = cut;
      const junk = pick(r, [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0x00], [0x80], [int(r, 256)], [0xef, 0xbb, 0xbf]]);
      parts.push(Buffer.from(junk));
      if (r() < 0.5) last = Math.min(bytes.length, last + 1); // replace, not only insert
    }
    parts.push(bytes.subarray(last));
    const buf = Buffer.concat(parts);
    return r() < 0.85 ? buf.toString('utf8') : buf.toString('latin1');
  }],
  ['long-run', (s, r) => insert(s, position(r, s), pick(r, RUN_CHARS).repeat(size(r, 200_000)))],
  ['deep-nesting', (s, r) => {
    const [open, close] = pick(r, NESTS);
    const depth = size(r, 50_000);
    const tail = r() < 0.5 ? close.repeat(depth) : '';
    const body = `${open.repeat(depth)}x${tail}`;
    return insert(s, position(r, s), r() < 0.5 ? `${pick(r, KEYWORDS)} ${body}\n` : body);
  }],
  ['continuations', (s, r) => {
    const unit = pick(r, [' \\\n', '\\\n', '\\\n# c\n', '\\\n\n', ' `\n', '\\ \t\r\n', '\\\r\r\n', 'a \\\n', '\\\n  #x\n  \\\n']);
    return insert(s, position(r, s), unit.repeat(size(r, 20_000)));
  }],
  ['escape-directive', (s, r) => pick(r, ESCAPE_PREFIXES) + s],
  ['line-endings', (s, r) => {
    const to = pick(r, ['\r\n', '\r', '\n\n', '\r\r\n', '\u2028']);
    if (r() < 0.5) return s.split('\n').join(to);
    return s.replace(/\n/g, (m) => (r() < 0.3 ? to : m));
  }],
  ['heredoc', (s, r) => {
    const at = position(r, s);
    const opener = pick(r, HEREDOC_OPENERS);
    // A heredoc opener with a terminator somewhere later (or nowhere at all).
    const rest = s.slice(at);
    const term = r() < 0.5 ? '' : pick(r, ['EOF\n', '\tEOF\n', 'EOF2\n', 'EOF', ' EOF\n']);
    const cut = lineBoundary(r, rest);
    return s.slice(0, at) + opener + rest.slice(0, cut) + term + rest.slice(cut);
  }],
  ['line-shuffle', (s, r) => {
    const lines = s.split('\n');
    for (let n = size(r, 16); n > 0 && lines.length > 1; n--) {
      const a = int(r, lines.length);
      const b = int(r, lines.length);
      if (r() < 0.5) [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      else lines.splice(b, 0, ...Array<string>(size(r, 256)).fill(lines[a]!));
    }
    return lines.join('\n');
  }],
  ['bom', (s, r) => (r() < 0.5 ? `\ufeff${s}` : insert(s, int(r, s.length + 1), pick(r, ['\ufeff', '\u00a0', '\u200b', '\u0085', '\u3000'])))],
];

/** Pure token soup: short strange inputs reach branches that well-formed files never do. */
export function tokenSoup(r: Rng): string {
  let out = r() < 0.7 ? 'FROM x\n' : '';
  for (let n = size(r, 200); n > 0; n--) {
    const roll = r();
    out += roll < 0.2 ? `\n${pick(r, KEYWORDS)} ` : roll < 0.9 ? pick(r, TOKENS) : pick(r, RUN_CHARS).repeat(size(r, 64));
  }
  return out;
}

/** One to four stacked mutations of `text`; `pool` is what the splicing mutators splice in. */
export function mutate(r: Rng, text: string, pool: readonly string[]): { text: string; names: string[] } {
  const names: string[] = [];
  let out = text;
  for (let n = 1 + int(r, 4); n > 0; n--) {
    const [name, mutator] = pick(r, MUTATORS);
    names.push(name);
    out = mutator(out, r, pool);
    if (out.length > MAX_INPUT) out = out.slice(0, MAX_INPUT);
  }
  return { text: out, names };
}

export interface Input {
  text: string;
  /** How it was made, for the report. */
  recipe: string;
}

// ---------------------------------------------------------------------------------------------
// The oracle.

export interface Verdict {
  kind: 'ok' | 'parse-error' | 'wrong-throw' | 'internal-error' | 'bad-location' | 'bad-range' | 'dump-throw' | 'slow' | 'nondeterministic';
  /** What went wrong, without positions or sizes, so that one bug reported 500 times is one signature. */
  signature: string;
  detail: string;
  parseMs: number;
  /** The dump, or the ParseError's message: what a second parse of the same text must reproduce. */
  outcome: string;
}

export const isFailure = (v: Verdict): boolean => v.kind !== 'ok' && v.kind !== 'parse-error';

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function badPosition(p: { line: number; column: number }, lines: number): boolean {
  return !(Number.isInteger(p.line) && Number.isInteger(p.column) && p.line >= 1 && p.column >= 1 && p.line <= lines + 1);
}

/** The first range of the tree that lies outside the input or runs backwards, if any. */
function badRange(df: Dockerfile, lines: number): string | null {
  const check = (what: string, range: Range): string | null => {
    if (badPosition(range.start, lines) || badPosition(range.end, lines)) return `${what} range outside the input`;
    const { start, end } = range;
    if (end.line < start.line || (end.line === start.line && end.column < start.column)) return `${what} range ends before it starts`;
    return null;
  };
  for (const node of df.nodes) {
    for (let n: typeof node | undefined = node; n; n = n.child) {
      const found = check(`${n.name} node`, n.range) ?? (badPosition(n.argsStart, lines) ? `${n.name} argsStart outside the input` : null);
      if (found) return found;
      for (const f of n.flags) { const e = check(`${n.name} flag`, f.range); if (e) return e; }
      for (const a of n.args) { const e = check(`${n.name} argument`, a.range); if (e) return e; }
      for (const h of n.heredocs) { const e = check(`${n.name} heredoc`, h.range); if (e) return e; }
    }
  }
  for (const w of df.warnings) { const e = check('warning', w.range); if (e) return e; }
  return null;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Strips numbers and quoted text so that messages differing only in where/what collapse. */
const generalise = (message: string): string => message.replace(/"[^"]*"|'[^']*'/g, 'S').replace(/\d+/g, 'N').slice(0, 160);

export function judge(text: string): Verdict {
  const lines = lineCount(text);
  const t0 = performance.now();
  let df: Dockerfile;
  try {
    df = parseDockerfile(text, { file: FILE });
  } catch (err) {
    const parseMs = performance.now() - t0;
    if (!(err instanceof ParseError)) {
      const name = err instanceof Error ? err.constructor.name : typeof err;
      const msg = err instanceof Error ? err.message : String(err);
      return { kind: 'wrong-throw', signature: `wrong-throw ${name}: ${generalise(msg)}`, detail: `threw ${name}: ${msg}`, parseMs, outcome: '' };
    }
    if (parseMs > SLOW_MS) return { kind: 'slow', signature: 'slow parse (error)', detail: `ParseError after ${parseMs.toFixed(0)} ms: ${err.message}`, parseMs, outcome: '' };
    // The parser wraps its own crashes as "internal parser error": the contract holds, but it is
    // still a bug (a TypeError, a stack overflow) that the wrapper would otherwise hide.
    if (err.reason.startsWith('internal parser error')) {
      return { kind: 'internal-error', signature: `internal: ${generalise(err.reason)}`, detail: err.message, parseMs, outcome: '' };
    }
    if (err.file !== FILE || badPosition(err, lines)) {
      return {
        kind: 'bad-location',
        signature: `bad-location: ${generalise(err.reason)}`,
        detail: `ParseError at ${err.file}:${err.line}:${err.column} (input has ${lines} lines): ${err.reason}`,
        parseMs,
        outcome: '',
      };
    }
    return { kind: 'parse-error', signature: '', detail: '', parseMs, outcome: `ParseError ${err.message}` };
  }
  const parseMs = performance.now() - t0;
  if (parseMs > SLOW_MS) return { kind: 'slow', signature: 'slow parse', detail: `parse took ${parseMs.toFixed(0)} ms`, parseMs, outcome: '' };
  const range = badRange(df, lines);
  if (range) return { kind: 'bad-range', signature: `bad-range: ${range}`, detail: range, parseMs, outcome: '' };
  const t1 = performance.now();
  let dump: string;
  try {
    dump = dumpDockerfile(df);
  } catch (err) {
    const msg = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    return { kind: 'dump-throw', signature: `dump-throw ${generalise(msg)}`, detail: `dumpDockerfile threw ${msg}`, parseMs, outcome: '' };
  }
  const dumpMs = performance.now() - t1;
  if (dumpMs > SLOW_MS) return { kind: 'slow', signature: 'slow dump', detail: `dump took ${dumpMs.toFixed(0)} ms`, parseMs, outcome: '' };
  return { kind: 'ok', signature: '', detail: '', parseMs, outcome: dump };
}

/**
 * Greedy shrinking (chunk deletion, halving the chunk size): a failure reported as a 40-byte
 * input is read in seconds; the original 200 KB mutant is kept beside it anyway.
 */
function shrink(text: string, stillFails: (text: string) => boolean, budgetMs: number): string {
  const deadline = performance.now() + budgetMs;
  let best = text;
  for (let chunk = Math.max(1, Math.floor(best.length / 2)); chunk >= 1 && performance.now() < deadline; chunk = Math.floor(chunk / 2)) {
    for (let at = 0; at < best.length && performance.now() < deadline; ) {
      const candidate = best.slice(0, at) + best.slice(at + chunk);
      if (candidate !== best && stillFails(candidate)) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Shared state. The worker keeps its counters in shared memory and posts each failure as soon as
// it is found, so that nothing found before a hang is lost when the watchdog kills the worker.
// It also copies each input there before judging it: after a hang the main thread reads the
// stuck input back, which works whether or not the input can be rebuilt from (seed, index)
// (coverage-guided inputs depend on everything run before them).

/** Int32 slots. */
const CURRENT = 0; // index of the input being judged
const JUDGED = 1; // judgements finished (shrinking's included): the heartbeat
const TRIED = 2;
const PARSED = 3;
const PARSE_ERRORS = 4;
const TEXT_LENGTH = 5; // the full length of the current input (the copy holds at most MAX_INPUT)
const RECIPE_LENGTH = 6;
/** Float64 slots. */
const CHARS = 0;
const SLOWEST_MS = 1;
const SLOWEST_INDEX = 2;
const RECIPE_CAPACITY = 512;

export class Shared {
  readonly ints: Int32Array;
  readonly floats: Float64Array;
  private readonly recipe: Uint16Array;
  private readonly text: Uint16Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(128 + 2 * (RECIPE_CAPACITY + MAX_INPUT))) {
    this.ints = new Int32Array(buffer, 0, 16);
    this.floats = new Float64Array(buffer, 64, 8);
    this.recipe = new Uint16Array(buffer, 128, RECIPE_CAPACITY);
    this.text = new Uint16Array(buffer, 128 + 2 * RECIPE_CAPACITY, MAX_INPUT);
  }

  /** Fresh state (a worker attaches to an existing buffer instead). */
  static create(): Shared {
    const s = new Shared();
    s.floats[SLOWEST_INDEX] = -1;
    return s;
  }

  /** Announces input `index` as the one being judged. */
  publish(index: number, input: Input): void {
    // UTF-16 code units, not UTF-8: a lone surrogate must come back exactly.
    const n = Math.min(input.text.length, MAX_INPUT);
    for (let i = 0; i < n; i++) this.text[i] = input.text.charCodeAt(i);
    const m = Math.min(input.recipe.length, RECIPE_CAPACITY);
    for (let i = 0; i < m; i++) this.recipe[i] = input.recipe.charCodeAt(i);
    this.ints[TEXT_LENGTH] = input.text.length;
    this.ints[RECIPE_LENGTH] = m;
    Atomics.store(this.ints, CURRENT, index);
  }

  /** The input last published (cut to MAX_INPUT chars), read after its worker got stuck in it. */
  current(): { index: number; input: Input; length: number } {
    const decode = (units: Uint16Array): string => {
      let out = '';
      for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.subarray(i, i + 8192));
      return out;
    };
    const length = this.ints[TEXT_LENGTH]!;
    return {
      index: Atomics.load(this.ints, CURRENT),
      input: { text: decode(this.text.subarray(0, Math.min(length, MAX_INPUT))), recipe: decode(this.recipe.subarray(0, this.ints[RECIPE_LENGTH]!)) },
      length,
    };
  }
}

/** What every fuzz worker is given; a test may add fields of its own. */
export interface Job {
  seed: number;
  /** First input index to judge (after a hang, the next worker resumes past the stuck input). */
  start: number;
  /** Indices whose input got a worker stuck: a resumed worker must not judge them again. */
  stuck: number[];
  /** Date.now() at which to stop: wall-clock, because performance.now() differs per thread. */
  deadline: number;
  /** Judge only one input. */
  single: boolean;
  corpusRoot: string;
  shared: SharedArrayBuffer;
  /** Prefix of the files failing inputs are saved to. */
  tag: string;
}

export interface Failure {
  kind: Verdict['kind'] | 'hang' | 'oom';
  signature: string;
  detail: string;
  index: number;
  recipe: string;
  chars: number;
  /** How many inputs hit the same signature. */
  hits: number;
  file: string;
  shrunk: string | null;
  shrunkFile: string | null;
}

/** Numbers a worker reports when it is done, for the test's own diagnostics and assertions. */
export type Stats = Record<string, number>;

type Message = { type: 'failure'; failure: Failure } | { type: 'hits'; signature: string; hits: number } | { type: 'done'; stats: Stats };

/** Writes the input twice: raw (UTF-8, for `hull parse`) and as JSON, which keeps lone surrogates exactly. */
function saveInput(tag: string, seed: number, index: number, suffix: string, text: string): string {
  const base = join(tmpdir(), `${tag}-${seed}-${index}${suffix}`);
  writeFileSync(`${base}.Dockerfile`, text);
  writeFileSync(`${base}.json`, `${JSON.stringify(text)}\n`);
  return `${base}.Dockerfile`;
}

/** Reads an input saved by saveInput (either file) back exactly. */
export function loadInput(file: string): string {
  const raw = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? (JSON.parse(raw) as string) : raw;
}

// ---------------------------------------------------------------------------------------------
// Worker side.

/** Judges inputs for one worker: heartbeat, counters, failure reports, shrinking at the end. */
export class FuzzWorker {
  private readonly shared: Shared;
  private readonly found = new Map<string, { failure: Failure; text: string }>();
  private probe: { index: number; input: Input; outcome: string } | null = null;

  constructor(private readonly job: Job, private readonly post: (m: Message) => void) {
    this.shared = new Shared(job.shared);
  }

  /** Every judgement, shrinking's included, is announced so the watchdog sees any stuck parse. */
  private watched(index: number, input: Input): Verdict {
    this.shared.publish(index, input);
    const verdict = judge(input.text);
    Atomics.add(this.shared.ints, JUDGED, 1);
    return verdict;
  }

  /** Judges input `index`, counts it, and reports it if it fails. */
  run(index: number, input: Input): Verdict {
    const verdict = this.watched(index, input);
    const { ints, floats } = this.shared;
    Atomics.add(ints, TRIED, 1);
    floats[CHARS]! += input.text.length;
    if (verdict.parseMs > floats[SLOWEST_MS]!) { floats[SLOWEST_MS] = verdict.parseMs; floats[SLOWEST_INDEX] = index; }
    if (verdict.kind === 'ok') Atomics.add(ints, PARSED, 1);
    else if (verdict.kind === 'parse-error') Atomics.add(ints, PARSE_ERRORS, 1);
    this.record(verdict, index, input);
    return verdict;
  }

  private record(verdict: Verdict, index: number, input: Input): void {
    if (!isFailure(verdict)) return;
    const seen = this.found.get(verdict.signature);
    if (seen) { seen.failure.hits++; return; }
    const failure: Failure = {
      kind: verdict.kind, signature: verdict.signature, detail: verdict.detail, index, recipe: input.recipe, chars: input.text.length,
      hits: 1, file: saveInput(this.job.tag, this.job.seed, index, '', input.text), shrunk: null, shrunkFile: null,
    };
    this.found.set(verdict.signature, { failure, text: input.text });
    this.post({ type: 'failure', failure });
  }

  /**
   * Call after run(index, input) gave `verdict`. Every few inputs, the previous one is parsed
   * again after the next: a parse must not depend on what was parsed before it (shared lexers,
   * caches, a state left behind by a thrown error). Returns whether it parsed anything.
   */
  probeAfter(index: number, input: Input, verdict: Verdict): boolean {
    const probe = this.probe;
    this.probe = null;
    if (probe) {
      const again = this.watched(probe.index, probe.input);
      if (!isFailure(again) && again.outcome !== probe.outcome) {
        const at = firstDifference(probe.outcome, again.outcome);
        this.record({
          kind: 'nondeterministic', signature: 'nondeterministic', parseMs: again.parseMs, outcome: '',
          detail: `parsed again after input #${index}, it gave another result (first difference at char ${at}: ${JSON.stringify(probe.outcome.slice(at, at + 80))} then ${JSON.stringify(again.outcome.slice(at, at + 80))})`,
        }, probe.index, probe.input);
      }
    }
    if (index % PROBE_EVERY === 0 && !isFailure(verdict) && input.text.length <= PROBE_MAX_CHARS) this.probe = { index, input, outcome: verdict.outcome };
    return probe !== null;
  }

  /** Shrinks what was found, reports it, and ends the worker's run. */
  finish(stats: Stats): void {
    // Shrinking comes after the timed loop so that the time budget goes to finding failures first.
    let shrinkable = MAX_SHRUNK;
    for (const { failure: f, text } of this.found.values()) {
      // Slow ones would cost seconds per candidate; a nondeterministic one needs two inputs to show.
      if (f.kind !== 'slow' && f.kind !== 'nondeterministic' && shrinkable-- > 0) {
        const small = shrink(text, (candidate) => this.watched(f.index, { text: candidate, recipe: `shrinking #${f.index}` }).signature === f.signature, SHRINK_MS);
        this.post({ type: 'failure', failure: { ...f, shrunk: small, shrunkFile: saveInput(this.job.tag, this.job.seed, f.index, '-min', small) } });
      }
      this.post({ type: 'hits', signature: f.signature, hits: f.hits });
    }
    this.post({ type: 'done', stats });
  }
}

// ---------------------------------------------------------------------------------------------
// Main side: start workers, watch them, turn what they found into test results.

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The test module `moduleUrl`, run in a worker. Under tsx (`npx tsx --test`) the module is
 * TypeScript and Node 20 does not hand tsx's loader hooks to workers, so the worker registers
 * tsx itself before importing it; compiled (`dist/`), it is plain JavaScript and loads as is.
 */
function startWorker(moduleUrl: string, job: Job): Worker {
  // A heap cap turns a memory blow-up into a prompt, reportable worker death instead of the
  // whole test process swapping or being killed.
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), { workerData: job, resourceLimits });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`;
  return new Worker(boot, { eval: true, workerData: job, resourceLimits });
}

/** How a worker ended: done, stuck in one input (hang or out of memory), or crashed otherwise. */
type Outcome = { done: true; stats: Stats } | { stuck: true; why: 'hang' | 'oom' } | { crash: string };

/** Runs one worker until it is done, stuck (terminated) or dead; failures land in `failures`. */
function runWorker(moduleUrl: string, job: Job, failures: Map<string, Failure>): Promise<Outcome> {
  return new Promise((resolve) => {
    const { ints } = new Shared(job.shared);
    const worker = startWorker(moduleUrl, job);
    let lastJudged = -1;
    let lastChange = performance.now();
    let settled = false;
    const finish = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(o);
    };
    const watchdog = setInterval(() => {
      const judged = Atomics.load(ints, JUDGED);
      if (judged !== lastJudged) { lastJudged = judged; lastChange = performance.now(); return; }
      if (performance.now() - lastChange > HANG_MS) {
        finish({ stuck: true, why: 'hang' });
        void worker.terminate();
      }
    }, 250);
    worker.on('message', (m: Message) => {
      if (m.type === 'failure') failures.set(m.failure.signature, m.failure);
      else if (m.type === 'hits') { const f = failures.get(m.signature); if (f) f.hits = m.hits; }
      else finish({ done: true, stats: m.stats });
    });
    worker.once('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') finish({ stuck: true, why: 'oom' });
      else finish({ crash: err instanceof Error ? err.stack ?? err.message : String(err) });
    });
    worker.once('exit', (code) => finish({ crash: `fuzz worker exited with code ${code} before reporting` }));
  });
}

export interface Campaign {
  failures: Failure[];
  /** What the last worker reported, or null if it never finished (it got stuck). */
  stats: Stats | null;
  shared: Shared;
  seconds: number;
}

/**
 * Runs `job` in workers of the test module `moduleUrl` until one finishes. A stuck worker is
 * recorded as a failure (its input saved from shared memory) and a new one resumes past the
 * stuck input, so one slow path does not hide every other finding.
 */
export async function runCampaign(moduleUrl: string, job: Job): Promise<Campaign> {
  const started = performance.now();
  const shared = new Shared(job.shared);
  const failures = new Map<string, Failure>();
  let stats: Stats | null = null;
  const stuck: number[] = [];
  for (let start = job.start; ; ) {
    const outcome = await runWorker(moduleUrl, { ...job, start, stuck }, failures);
    if ('crash' in outcome) assert.fail(`the fuzz worker died: ${outcome.crash}`);
    if ('done' in outcome) { stats = outcome.stats; break; }
    const { index, input, length } = shared.current();
    stuck.push(index);
    Atomics.add(shared.ints, TRIED, 1);
    const cut = length > input.text.length ? ` (only its first ${input.text.length} chars were kept)` : '';
    failures.set(`${outcome.why} ${index}`, {
      kind: outcome.why, signature: `${outcome.why} ${index}`, index, recipe: input.recipe, chars: length, hits: 1,
      detail: outcome.why === 'hang' ? `no answer within ${HANG_MS / 1000} s (worker terminated)${cut}` : `the worker ran out of its ${WORKER_HEAP_MB} MB heap${cut}`,
      file: saveInput(job.tag, job.seed, index, `-${outcome.why}`, input.text), shrunk: null, shrunkFile: null,
    });
    start = index + 1;
    if (job.single || stuck.length >= MAX_HANGS || Date.now() >= job.deadline) break;
  }
  return { failures: [...failures.values()], stats, shared, seconds: (performance.now() - started) / 1000 };
}

function describe(f: Failure): string {
  // JSON string syntax with every non-ASCII character escaped too: U+00A0 or U+FEFF must be visible.
  const quote = (s: string): string => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const show = (s: string): string => (s.length > 300 ? `${quote(s.slice(0, 300))}… (${s.length} chars)` : quote(s));
  return [
    `[${f.kind}] ${f.detail}`,
    `  first at input #${f.index} (${f.recipe}, ${f.chars} chars), ${f.hits} input(s) with this signature`,
    `  input: ${f.file}`,
    ...(f.shrunk !== null ? [`  shrunk (${f.shrunk.length} chars): ${show(f.shrunk)} -> ${f.shrunkFile}`] : []),
  ].join('\n');
}

/** Prints the campaign's figures (then `extra` lines) and fails the test on any finding. */
export function reportCampaign(t: TestContext, c: Campaign, extra: readonly string[], replayHint: string): void {
  const { ints, floats } = c.shared;
  t.diagnostic(`${ints[TRIED]} inputs tried in ${c.seconds.toFixed(1)} s (fuzzing, shrinking and hang waits included), ${(floats[CHARS]! / 1e6).toFixed(1)} M chars`);
  t.diagnostic(`${ints[PARSED]} parsed, ${ints[PARSE_ERRORS]} ParseErrors, ${c.failures.reduce((n, f) => n + f.hits, 0)} failing inputs in ${c.failures.length} distinct signature(s)`);
  if (floats[SLOWEST_INDEX]! >= 0) t.diagnostic(`slowest finished parse: ${floats[SLOWEST_MS]!.toFixed(1)} ms (input #${floats[SLOWEST_INDEX]})`);
  for (const line of extra) t.diagnostic(line);
  // One diagnostic per line: the TAP reporter escapes newlines inside a diagnostic.
  for (const f of c.failures) for (const line of describe(f).split('\n')) t.diagnostic(line);
  assert.ok(ints[TRIED]! > 0, 'no input was tried');
  if (c.failures.length > 0) assert.fail(`${c.failures.length} distinct failure(s); ${replayHint}\n${c.failures.map(describe).join('\n')}`);
}
