// The rebuild bench's context: 20,000 files of ~200 MB in a few hundred directories, shaped like a
// real repository (most files small text, a few MB-sized binaries), every byte from a seeded PRNG
// so the tree is the same on every machine. Made once and kept; a stamp beside it says which
// version of this recipe made it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, type Rng } from '../../test/helpers/random.js';

export const FILES = 20_000;
export const TARGET_BYTES = 200_000_000;
const DIRECTORIES = 320;
const SEED = 0x5eed_2026;
const VERSION = `v1 ${FILES} files ${TARGET_BYTES} bytes ${DIRECTORIES} dirs seed ${SEED}`;

export const DOCKERFILE = (base: string): string => `FROM ${base}\nCOPY . /app\nRUN ls /app | wc -l > /count\n`;

const WORDS = (
  'import export const function return value build layer cache image step copy from node package ' +
  'config module index test spec render state props type interface string number await async ' +
  'error result options context store stream buffer path file user group mode time root data'
).split(' ');
const TOP = ['src', 'lib', 'test', 'docs', 'assets', 'vendor', 'scripts', 'config', 'data', 'packages'];
const TEXT_EXT = ['js', 'ts', 'json', 'md', 'css', 'html', 'txt', 'yaml'];
const BINARY_EXT = ['png', 'jpg', 'woff2', 'gz', 'bin', 'wasm', 'so'];

interface FileSpec {
  path: string;
  size: number;
  text: boolean;
  /** The content's own seed: one file can be regenerated alone. */
  seed: number;
}

export interface TreeInfo {
  files: number;
  directories: number;
  bytes: number;
  /** Sizes: files under 16 KB, from 16 KB to 256 KB, over 256 KB, and the largest. */
  small: number;
  medium: number;
  large: number;
  largest: number;
  /** A small text file that the "one file changed" case edits. */
  editable: string;
}

const logUniform = (rng: Rng, lo: number, hi: number): number => Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));

/** The recipe: directories, then file paths, sizes and kinds (no content yet). */
function plan(): { dirs: string[]; files: FileSpec[] } {
  const rng = mulberry32(SEED);
  const dirs: string[] = [...TOP];
  const depth = (d: string): number => d.split('/').length;
  while (dirs.length < DIRECTORIES) {
    // earlier (shallower) directories get more children: a bushy top, long thin branches
    const parent = dirs[Math.floor(rng() ** 2 * dirs.length)]!;
    if (depth(parent) >= 6) continue;
    dirs.push(`${parent}/${WORDS[Math.floor(rng() * WORDS.length)]}${dirs.length}`);
  }
  const files: FileSpec[] = [];
  let total = 0;
  for (let i = 0; i < FILES; i++) {
    const u = rng();
    // 91.75% small (100 B–16 KB), 8% medium (16–128 KB), 0.25% large (256 KB–4 MB), log-uniform
    const size = u < 0.9175 ? logUniform(rng, 100, 16_384) : u < 0.9975 ? logUniform(rng, 16_384, 131_072) : logUniform(rng, 262_144, 4_194_304);
    // small files mostly text, large ones binary
    const text = rng() < (size < 16_384 ? 0.8 : size < 131_072 ? 0.4 : 0.05);
    const ext = text ? TEXT_EXT[Math.floor(rng() * TEXT_EXT.length)]! : BINARY_EXT[Math.floor(rng() * BINARY_EXT.length)]!;
    // some directories are crowded, most hold a few dozen files
    const dir = dirs[Math.floor(rng() ** 1.5 * dirs.length)]!;
    files.push({ path: `${dir}/${WORDS[Math.floor(rng() * WORDS.length)]}-${i}.${ext}`, size, text, seed: Math.floor(rng() * 2 ** 32) });
    total += size;
  }
  // scale to the target total, keeping the shape
  const scale = TARGET_BYTES / total;
  for (const f of files) f.size = Math.max(1, Math.round(f.size * scale));
  return { dirs, files };
}

function content(f: FileSpec): Buffer {
  const rng = mulberry32(f.seed);
  if (!f.text) {
    const buf = Buffer.allocUnsafe(Math.ceil(f.size / 4) * 4);
    for (let o = 0; o < buf.length; o += 4) buf.writeUInt32LE(Math.floor(rng() * 2 ** 32), o);
    return buf.subarray(0, f.size);
  }
  const parts: string[] = [];
  let n = 0;
  while (n < f.size) {
    const words = 3 + Math.floor(rng() * 9);
    let line = '  '.repeat(Math.floor(rng() * 4));
    for (let w = 0; w < words; w++) line += `${WORDS[Math.floor(rng() * WORDS.length)]}${w + 1 < words ? ' ' : ''}`;
    line += rng() < 0.3 ? ` = ${Math.floor(rng() * 100_000)};\n` : '\n';
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, f.size);
}

function describe(dirs: string[], files: FileSpec[]): TreeInfo {
  const editable = files.find((f) => f.text && f.size > 500 && f.size < 4_000)!;
  return {
    files: files.length,
    directories: dirs.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
    small: files.filter((f) => f.size < 16_384).length,
    medium: files.filter((f) => f.size >= 16_384 && f.size <= 262_144).length,
    large: files.filter((f) => f.size > 262_144).length,
    largest: Math.max(...files.map((f) => f.size)),
    editable: editable.path,
  };
}

/** Makes the context under `dir` (with the Dockerfile) unless the stamp says it is there already. */
export function ensureTree(dir: string, base: string): TreeInfo {
  const stamp = `${dir}.stamp`;
  const { dirs, files } = plan();
  const info = describe(dirs, files);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== VERSION) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stamp, { force: true });
    for (const d of dirs) mkdirSync(join(dir, d), { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.path), content(f));
    writeFileSync(stamp, VERSION);
  }
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE(base));
  restoreEditable(dir);
  return info;
}

/** Rewrites the editable file with its `round`-th edit: same size, different bytes in its first line. */
export function editFile(dir: string, round: number): void {
  const { dirs, files } = plan();
  const path = describe(dirs, files).editable;
  const original = content(files.find((f) => f.path === path)!);
  const mark = Buffer.from(`// bench edit ${round} ${Date.now()}\n`);
  writeFileSync(join(dir, path), Buffer.concat([mark, original.subarray(mark.length)]));
}

/** Puts the editable file back as the recipe made it (a no-op write when it already is). */
export function restoreEditable(dir: string): void {
  const { dirs, files } = plan();
  const path = describe(dirs, files).editable;
  const original = content(files.find((f) => f.path === path)!);
  const abs = join(dir, path);
  if (!existsSync(abs) || !readFileSync(abs).equals(original)) writeFileSync(abs, original);
}
