// Incremental recompression: a 20,000-file, 200 MB tree packed as member-aligned gzip from
// scratch, then again after one file changed, copying the unchanged members of the first blob
// (writeLayer's `reuse`). Beside them, today's single-stream parallel gzip of the same tree, and a
// check that the reusing write gives the very bytes a fresh write does. Each figure is the median
// of ROUNDS runs in this process, page cache warm. Prints a table; writes nothing but its tree.
//
//   npx tsx bench/layer/incremental.ts         (or: npm run build && node dist/bench/layer/incremental.js)
//   HULL_BENCH_ROUNDS=5 …                      to tighten the figures
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConcurrency, writeLayer, type LayerBlob, type WriteLayerOptions } from '../../src/layer/index.js';
import type { MemberReuse } from '../../src/layer/member-gzip.js';

const ROUNDS = Math.max(1, Number(process.env.HULL_BENCH_ROUNDS ?? 3));
const TREE = join(tmpdir(), 'hull-bench-incremental-tree');
const TREE_VERSION = 'v1 20000 files 200MB';
const FILES = 20_000;
/** The file the second build changes (a small text file in the middle of the tree). */
const CHANGED = 10_002;

function randomData(seed: number, size: number): Buffer {
  const key = createHash('sha256').update(`hull-bench-${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function textData(seed: number, size: number): Buffer {
  const words = 'layer image build cache step copy run from alpine debian node package install config file path'.split(' ');
  const lines: string[] = [];
  let n = 0;
  let x = seed >>> 0;
  while (n < size) {
    x = (x * 1664525 + 1013904223) >>> 0;
    const line = `${words[x % words.length]} ${words[(x >>> 8) % words.length]} = ${x % 100000}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

/** Mostly small files (1–7 KB), one in ten medium (8–72 KB), one in 200 large (40 KB–1 MB): about 200 MB. */
function sizeOf(i: number): number {
  if (i % 200 === 0) return 40_000 + ((i * 7919) % 960_000);
  if (i % 10 === 1) return 8_000 + ((i * 104_729) % 64_000);
  return 1_000 + ((i * 7_727) % 6_000);
}

function filePath(i: number): string {
  return join(TREE, `d${Math.floor(i / 100) % 20}`, `s${Math.floor(i / 100)}`, `f${i}.${i % 5 < 3 ? 'txt' : 'bin'}`);
}

function contents(i: number, salt = 0): Buffer {
  return i % 5 < 3 ? textData(i + salt, sizeOf(i)) : randomData(i + salt, sizeOf(i));
}

function ensureTree(): number {
  const stamp = join(TREE, '.hull-bench-stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').startsWith(TREE_VERSION)) return Number(readFileSync(stamp, 'utf8').slice(TREE_VERSION.length));
  rmSync(TREE, { recursive: true, force: true });
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    if (i % 100 === 0) mkdirSync(join(filePath(i), '..'), { recursive: true });
    writeFileSync(filePath(i), contents(i));
    bytes += sizeOf(i);
  }
  writeFileSync(stamp, `${TREE_VERSION}${bytes}`);
  return bytes;
}

interface Timing {
  seconds: number;
  /** CPU seconds of the whole process (threadpool included): steadier than wall time on a busy machine. */
  cpu: number;
  blob: LayerBlob;
}

async function timed(file: string, options: WriteLayerOptions): Promise<Timing> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const blob = await writeLayer(TREE, createWriteStream(file), options);
  const used = process.cpuUsage(cpu);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu: (used.user + used.system) / 1e6, blob };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const bytes = ensureTree();
  const work = await mkdtemp(join(tmpdir(), 'hull-bench-incremental-'));
  const threads = defaultConcurrency();
  console.log(`tree: ${TREE}, ${FILES} files, ${(bytes / 1e6).toFixed(0)} MB; ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ${threads} gzip threads; median of ${ROUNDS}\n`);
  const rows: Array<{ name: string; seconds: number; cpu: number; blob: LayerBlob }> = [];
  try {
    await timed(join(work, 'warm'), { compression: 'none' }); // page cache
    const run = async (name: string, file: string, options: WriteLayerOptions): Promise<LayerBlob> => {
      const runs = [];
      for (let r = 0; r < ROUNDS; r++) runs.push(await timed(join(work, file), options));
      rows.push({ name, seconds: median(runs.map((x) => x.seconds)), cpu: median(runs.map((x) => x.cpu)), blob: runs[0]!.blob });
      return runs[0]!.blob;
    };
    await run('parallel gzip (one stream, today)', 'pgzip', { compression: 'gzip' });
    const a = await run('gzip members, full write', 'a', { members: true });
    writeFileSync(filePath(CHANGED), contents(CHANGED, 1)); // one changed file, same size
    try {
      const reuse: MemberReuse = { index: a.members!.index, blobPath: join(work, 'a') };
      const b = await run('gzip members, one file changed, reusing', 'b', { reuse });
      const fresh = await run('gzip members, one file changed, fresh', 'b-fresh', { members: true });
      if (readFileSync(join(work, 'b')).compare(readFileSync(join(work, 'b-fresh'))) !== 0) throw new Error('reusing and fresh writes differ');
      if (b.digest !== fresh.digest) throw new Error('digests differ');
    } finally {
      writeFileSync(filePath(CHANGED), contents(CHANGED));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'run'.padEnd(width)}  seconds  CPU seconds  layer MB  members reused/compressed`);
  for (const { name, seconds, cpu, blob } of rows) {
    const m = blob.members ? `${blob.members.reused}/${blob.members.compressed}` : '';
    console.log(`${name.padEnd(width)}  ${seconds.toFixed(2).padStart(7)}  ${cpu.toFixed(2).padStart(11)}  ${(blob.size / 1e6).toFixed(1).padStart(8)}  ${m}`);
  }
  const full = rows.find((r) => r.name === 'gzip members, full write')!;
  const reused = rows.find((r) => r.name === 'gzip members, one file changed, reusing')!;
  console.log(
    `\nreuse after one changed file: ${(full.seconds / reused.seconds).toFixed(1)}× faster than a full write ` +
      `(${full.seconds.toFixed(2)} s → ${reused.seconds.toFixed(2)} s; CPU ${full.cpu.toFixed(2)} s → ${reused.cpu.toFixed(2)} s); ` +
      'the reusing and fresh blobs are identical',
  );
}

await main();
