// Push: hull against skopeo, pushing the same ~200 MB image (one imported layer of random and
// text files, built once and cached under /tmp) from hull's store to a fresh local registry
// (Debian's docker-registry, plain HTTP on 127.0.0.1, new storage for every run so nothing is
// skipped). Each push is its own process; figures are the median of ROUNDS runs, RSS is hull's
// peak. Prints a table and writes bench/push/latest.json and bench/push/README.md.
//
//   npx tsx bench/push/run.ts            (HULL_BENCH_ROUNDS=5 to tighten the figures)
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importRootfs } from '../../src/store/import.js';
import { Store } from '../../src/store/store.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { startRegistry } from '../../test/helpers/registry.js';
import { exited, spawnScript, stderrOf } from '../../test/helpers/spawn.js';

const run = promisify(execFile);
const ROUNDS = Math.max(1, Number(process.env.HULL_BENCH_ROUNDS ?? 3));
const CACHE = join(tmpdir(), 'hull-bench-push');
const VERSION = 'v1 60x2.5MB random + 500x100kB text';
const REF = 'docker.io/library/bench-push:1';

function randomData(seed: number, size: number): Buffer {
  const key = createHash('sha256').update(`hull-bench-push-${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function textData(seed: number, size: number): Buffer {
  const line = `step ${seed} copy run from layer image cache build config\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length))).subarray(0, size);
}

/** The store with the image, made once: the tree, then `importRootfs` (gzip) into the store. */
async function ensureImage(): Promise<{ root: string; layerBytes: number }> {
  const marker = join(CACHE, 'version');
  const root = join(CACHE, 'store');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== VERSION) {
    rmSync(CACHE, { recursive: true, force: true });
    const tree = join(CACHE, 'tree');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    mkdirSync(join(tree, 'share'), { recursive: true });
    for (let i = 0; i < 60; i++) writeFileSync(join(tree, 'bin', `blob${i}`), randomData(i, 2_500_000));
    for (let i = 0; i < 500; i++) writeFileSync(join(tree, 'share', `doc${i}.txt`), textData(i, 100_000));
    const store = await Store.open(root);
    await importRootfs(store, tree, REF, { sourceDateEpoch: 0 });
    await store.close();
    rmSync(tree, { recursive: true, force: true });
    writeFileSync(marker, VERSION);
  }
  const store = await Store.open(root);
  const desc = await store.resolve(REF);
  if (!desc) throw new Error('bench image missing from its store');
  const manifest = await store.readManifest(desc);
  await store.close();
  const layerBytes = manifest.kind === 'manifest' ? manifest.manifest.layers.reduce((n, l) => n + l.size, 0) : 0;
  return { root, layerBytes };
}

interface Sample {
  ms: number;
  maxRssKiB?: number;
}

async function hullOnce(root: string, host: string): Promise<Sample> {
  const child = spawnScript(import.meta.url, './child', [root, REF, host, 'bench/hull', '1']);
  const err = stderrOf(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => void (out += c.toString()));
  const { code } = await exited(child);
  if (code !== 0) throw new Error(`hull push failed: ${err()}`);
  const r = JSON.parse(out) as { ms: number; maxRssKiB: number; outcomes: string[] };
  if (r.outcomes.some((o) => o !== 'pushed')) throw new Error(`hull skipped blobs on a fresh registry: ${r.outcomes.join(',')}`);
  return { ms: r.ms, maxRssKiB: r.maxRssKiB };
}

async function skopeoOnce(root: string, host: string): Promise<Sample> {
  const started = performance.now();
  await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${join(root, 'oci')}:${REF}`, `docker://${host}/bench/skopeo:1`]);
  return { ms: performance.now() - started };
}

/** Each sample on a registry of its own, so every blob is really uploaded. */
async function sample(tool: (root: string, host: string) => Promise<Sample>, root: string): Promise<Sample> {
  const registry = await startRegistry();
  try {
    return await tool(root, registry.host);
  } finally {
    await registry.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { root, layerBytes } = await ensureImage();
const hull: Sample[] = [];
const sk: Sample[] = [];
for (let i = 0; i < ROUNDS; i++) {
  hull.push(await sample(hullOnce, root));
  sk.push(await sample(skopeoOnce, root));
}
const mb = layerBytes / 1e6;
const rows = [
  { tool: 'hull push', medianMs: Math.round(median(hull.map((s) => s.ms))), mbPerS: 0, peakRssMiB: Math.round(median(hull.map((s) => s.maxRssKiB ?? 0)) / 1024) },
  { tool: 'skopeo copy', medianMs: Math.round(median(sk.map((s) => s.ms))), mbPerS: 0, peakRssMiB: undefined as number | undefined },
].map((r) => ({ ...r, mbPerS: Number((mb / (r.medianMs / 1000)).toFixed(1)) }));

const table = [
  '| tool | median time | throughput | peak RSS |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.tool} | ${(r.medianMs / 1000).toFixed(2)} s | ${r.mbPerS} MB/s | ${r.peakRssMiB === undefined ? 'n/a' : `${r.peakRssMiB} MiB`} |`),
].join('\n');
const machine = `${platform()} ${arch()}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`;
console.log(`image: one gzip layer of ${mb.toFixed(1)} MB, ${ROUNDS} rounds, ${machine}\n`);
console.log(table);

const out = join(repoRoot(), 'bench', 'push');
writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, rounds: ROUNDS, layerBytes, rows, samples: { hull, skopeo: sk } }, null, 2)}\n`);
writeFileSync(
  join(out, 'README.md'),
  `# Push benchmark

\`npx tsx bench/push/run.ts\` pushes one image — a single gzip layer of ${mb.toFixed(1)} MB (60 random files of 2.5 MB
and 500 text files of 100 kB, imported with \`importRootfs\`, cached under ${CACHE}) — from a hull store to a
local plain-HTTP \`docker-registry\` on 127.0.0.1, with hull (\`push()\` through \`openRepository\`, in a child
process so its peak RSS is its own; run under tsx, which adds its own memory) and with
\`skopeo copy oci:ROOT/oci:REF docker://…\`. Every run gets a fresh registry, so no blob is skipped.
Median of ${ROUNDS} rounds.

Latest (${machine}):

${table}

hull sends a blob larger than 8 MiB in 8 MiB PATCH chunks (each its own request, so a failure
costs one chunk); skopeo streams it in one PUT.
`,
);
