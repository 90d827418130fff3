// Parse throughput: hull's parseDockerfile against the npm package dockerfile-ast, on the
// conformance Dockerfiles (BuildKit's parser cases + 193 official-image Dockerfiles) and on a
// synthetic large file at several sizes. Prints two tables and writes bench/parse/latest.json.
//
//   npm run bench:parse            (compiled)     npx tsx bench/parse/run.ts   (from source)
//   HULL_BENCH_ROUNDS=9 HULL_BENCH_MIN_ROUND_MS=500 …   to tighten the figures
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { parseDockerfile } from '../../src/parse/parser.js';
import { conformanceDir, repoRoot } from '../../test/helpers/paths.js';

const ROUNDS = Math.max(5, Number(process.env.HULL_BENCH_ROUNDS ?? 7));
const MIN_ROUND_MS = Math.max(50, Number(process.env.HULL_BENCH_MIN_ROUND_MS ?? 300));
const WARMUP_MS = 1000;
const SYNTHETIC_SIZES = [3_000, 10_000, 30_000];

// ---------------------------------------------------------------------------------------------
// The tools. dockerfile-ast is loaded dynamically through a narrow local interface: the bench (and
// so `npm run build`, which compiles it) must still work where that devDependency is missing.

interface AstInstruction {
  getArguments(): unknown[];
  getFlags?: () => unknown[];
}
interface AstDockerfile {
  getInstructions(): AstInstruction[];
}
interface AstParser {
  parse(text: string): AstDockerfile;
}

async function loadDockerfileAst(): Promise<{ parser: AstParser; version: string } | null> {
  const name = 'dockerfile-ast'; // a variable, so tsc does not need the package to compile this
  try {
    const mod = (await import(name)) as { DockerfileParser?: AstParser; default?: { DockerfileParser?: AstParser } };
    const parser = mod.DockerfileParser ?? mod.default?.DockerfileParser;
    if (!parser) return null;
    const pkg = join(repoRoot(), 'node_modules', 'dockerfile-ast', 'package.json');
    const version = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version : 'unknown';
    return { parser, version };
  } catch {
    return null;
  }
}

/** A parser under test: parses one text and returns a number derived from the result (kept in a sink so no work is optimised away). */
interface Tool {
  name: string;
  parse: (text: string) => number;
}

const hull: Tool = {
  name: 'hull parseDockerfile',
  parse: (text) => parseDockerfile(text).nodes.length,
};

/**
 * Two dockerfile-ast rows, because its parse() is lazy: it finds lines, keywords and ranges,
 * and splits arguments and flags only when asked. hull splits both eagerly, so the like-for-like
 * row is "parse + args", which asks every instruction for them once.
 */
function astTools(parser: AstParser): Tool[] {
  return [
    { name: 'dockerfile-ast parse', parse: (text) => parser.parse(text).getInstructions().length },
    {
      name: 'dockerfile-ast parse + args',
      parse: (text) => {
        let n = 0;
        for (const ins of parser.parse(text).getInstructions()) {
          n += ins.getArguments().length;
          if (ins.getFlags) n += ins.getFlags().length;
        }
        return n;
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Timing.

let sink = 0;

/** One pass over the corpus. */
function pass(tool: Tool, texts: readonly string[]): void {
  for (const t of texts) sink += tool.parse(t);
}

function timeRound(tool: Tool, texts: readonly string[], reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) pass(tool, texts);
  return performance.now() - t0;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  tool: string;
  files: number;
  bytes: number;
  /** Corpus passes per timed round. */
  reps: number;
  medianMsPerRound: number;
  /** All rounds, so the spread can be judged. */
  roundsMs: number[];
  mbPerSec: number;
  filesPerSec: number;
  /** hull's MB/s divided by this row's: above 1, hull is faster. */
  hullRatio: number | null;
}

/**
 * Warms every tool up (JIT), sizes each tool's round to last at least MIN_ROUND_MS, then times
 * ROUNDS rounds with the tools interleaved, so that a slow phase of the machine hits all alike.
 */
function measure(tools: readonly Tool[], texts: readonly string[]): Row[] {
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const reps = tools.map((tool) => {
    const warmEnd = performance.now() + WARMUP_MS;
    let passes = 0;
    while (performance.now() < warmEnd || passes < 2) { pass(tool, texts); passes++; }
    // The fastest of three passes: sizing from a slow one (a GC pause) would make short rounds.
    const one = Math.min(timeRound(tool, texts, 1), timeRound(tool, texts, 1), timeRound(tool, texts, 1));
    return Math.max(1, Math.ceil((MIN_ROUND_MS * 1.2) / Math.max(one, 0.01)));
  });
  const samples = tools.map((): number[] => []);
  // Rounds interleave the tools until each has ROUNDS rounds of at least MIN_ROUND_MS.
  while (samples.some((s) => s.length < ROUNDS)) {
    tools.forEach((tool, i) => {
      if (samples[i]!.length >= ROUNDS) return;
      const ms = timeRound(tool, texts, reps[i]!);
      if (ms >= MIN_ROUND_MS) { samples[i]!.push(ms); return; }
      // A round shorter than the minimum: size this tool's rounds up and start its samples over.
      reps[i] = Math.ceil((reps[i]! * MIN_ROUND_MS * 1.2) / Math.max(ms, 0.01));
      samples[i] = [];
    });
  }
  const rows = tools.map((tool, i): Row => {
    const ms = median(samples[i]!);
    const seconds = ms / 1000;
    return {
      tool: tool.name,
      files: texts.length,
      bytes,
      reps: reps[i]!,
      medianMsPerRound: ms,
      roundsMs: samples[i]!,
      mbPerSec: (bytes * reps[i]!) / 1e6 / seconds,
      filesPerSec: (texts.length * reps[i]!) / seconds,
      hullRatio: null,
    };
  });
  const hullRow = rows.find((r) => r.tool === hull.name);
  for (const row of rows) if (hullRow && row !== hullRow) row.hullRatio = hullRow.mbPerSec / row.mbPerSec;
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Inputs.

function conformanceCorpus(): { name: string; text: string }[] {
  const root = conformanceDir();
  const out: { name: string; text: string }[] = [];
  const parser = join(root, 'parser');
  for (const name of readdirSync(parser).sort()) {
    const file = join(parser, name, 'Dockerfile');
    if (existsSync(file)) out.push({ name: `parser/${name}`, text: readFileSync(file, 'utf8') });
  }
  const realworld = join(root, 'realworld');
  for (const name of readdirSync(realworld).sort()) {
    const file = join(realworld, name);
    if (statSync(file).isFile()) out.push({ name: `realworld/${name}`, text: readFileSync(file, 'utf8') });
  }
  return out;
}

/**
 * A deterministic multi-stage Dockerfile of `count` instructions mixing what real files hold:
 * continued RUN lines, RUN --mount, COPY --from/--chown, ENV, ARG, LABEL, exec-form CMD and
 * heredocs, a new stage every 500 instructions, comments in between.
 */
export function syntheticDockerfile(count: number): string {
  const parts: string[] = ['# syntax=docker/dockerfile:1\n'];
  let stage = 0;
  for (let i = 0; i < count; i++) {
    if (i % 500 === 0) {
      parts.push(`\n# stage ${stage}\nFROM --platform=$BUILDPLATFORM golang:1.22-alpine AS s${stage}\n`);
      stage++;
      continue;
    }
    switch (i % 9) {
      case 0:
        parts.push(`RUN set -eux; \\\n    apk add --no-cache git make pkg${i}; \\\n    make -C /src/m${i} install; \\\n    rm -rf /var/cache/apk/*\n`);
        break;
      case 1:
        parts.push(`COPY --from=s${Math.max(0, stage - 2)} --chown=1000:1000 /out/bin${i} /usr/local/bin/tool${i}\n`);
        break;
      case 2:
        parts.push(`ENV APP_${i}=value${i} PATH=/opt/app${i}/bin:$PATH\n`);
        break;
      case 3:
        parts.push(`RUN <<EOF\nset -e\necho "step ${i}" > /tmp/s${i}\ncat /tmp/s${i}\nEOF\n`);
        break;
      case 4:
        parts.push(`RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,source=.,target=/src go build -o /out/bin${i} ./cmd/${i}\n`);
        break;
      case 5:
        parts.push(`ARG V${i}=1.${i}.0\nLABEL org.example.step${i}="build ${i}" org.example.rev="$V${i}"\n`);
        i++; // two instructions in this case
        break;
      case 6:
        parts.push(`# a comment before ${i}\nWORKDIR /work/${i}\n`);
        break;
      case 7:
        parts.push(`COPY <<-EOT /etc/conf${i}.ini\n\t[section]\n\tkey=${i}\n\tEOT\n`);
        break;
      default:
        parts.push(`CMD ["/usr/local/bin/tool${i}", "--port", "${8000 + (i % 1000)}"]\n`);
    }
  }
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Output.

function table(title: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  // Markdown alignment row: the first column left, the figures right-aligned.
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [`${title}\n`, line(header), rule, ...rows.map(line)].join('\n');
}

const fixed = (n: number, d: number): string => n.toFixed(d);

function rowCells(r: Row): string[] {
  return [
    r.tool,
    String(r.files),
    String(r.bytes),
    fixed(r.medianMsPerRound, 1),
    String(r.reps),
    fixed(r.mbPerSec, 2),
    fixed(r.filesPerSec, 0),
    r.hullRatio === null ? '—' : `${fixed(r.hullRatio, 2)}×`,
  ];
}

const HEADER = ['tool', 'files', 'bytes', 'median ms/round', 'passes/round', 'MB/s', 'files/s', 'hull ÷ this'];

async function main(): Promise<void> {
  const ast = await loadDockerfileAst();
  const tools: Tool[] = [hull, ...(ast ? astTools(ast.parser) : [])];
  if (!ast) console.log('dockerfile-ast is not installed (npm install --no-save dockerfile-ast@0.7.1): timing hull alone.\n');

  // Every tool must take every file, or the comparison would be over different inputs.
  const corpus = conformanceCorpus();
  const skipped: string[] = [];
  const texts = corpus
    .filter(({ name, text }) => {
      for (const tool of tools) {
        try {
          tool.parse(text);
        } catch (err) {
          skipped.push(`${name} (${tool.name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
          return false;
        }
      }
      return true;
    })
    .map((c) => c.text);
  if (skipped.length > 0) console.log(`left out (a tool rejects them):\n  ${skipped.join('\n  ')}\n`);

  const corpusRows = measure(tools, texts);
  console.log(table(`Conformance corpus (parser/*/Dockerfile + realworld/*), median of ${ROUNDS} rounds:`, HEADER, corpusRows.map(rowCells)));

  const synthetic = SYNTHETIC_SIZES.map((count) => {
    const text = syntheticDockerfile(count);
    const rows = measure(tools, [text]);
    // The count hull parses (a heredoc or a two-line case can shift the nominal figure by one).
    return { instructions: parseDockerfile(text).nodes.length, bytes: Buffer.byteLength(text, 'utf8'), rows };
  });
  const synthHeader = ['tool', 'instructions', 'bytes', 'median ms/parse', 'MB/s', 'instructions/s', 'hull ÷ this'];
  const synthCells = synthetic.flatMap((s) =>
    s.rows.map((r) => {
      const msPerParse = r.medianMsPerRound / r.reps;
      return [r.tool, String(s.instructions), String(s.bytes), fixed(msPerParse, 1), fixed(r.mbPerSec, 2), fixed((s.instructions * 1000) / msPerParse, 0), r.hullRatio === null ? '—' : `${fixed(r.hullRatio, 2)}×`];
    }),
  );
  console.log(`\n${table('Synthetic multi-stage Dockerfile (RUN/COPY --from/ENV/heredoc mix), by size:', synthHeader, synthCells)}`);

  const report = {
    generated: new Date().toISOString(),
    environment: { node: process.version, platform: `${platform()} ${arch()}`, cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length },
    settings: { rounds: ROUNDS, minRoundMs: MIN_ROUND_MS, warmupMs: WARMUP_MS, mb: '10^6 bytes of UTF-8', hullRatio: "hull's MB/s divided by the row's; above 1 hull is faster" },
    tools: { hull: 'parseDockerfile (src/parse/parser.ts)', dockerfileAst: ast ? ast.version : null },
    corpus: { files: texts.length, leftOut: skipped, rows: corpusRows },
    synthetic: synthetic.map((s) => ({
      instructions: s.instructions,
      bytes: s.bytes,
      rows: s.rows.map((r) => ({ ...r, msPerParse: r.medianMsPerRound / r.reps })),
    })),
  };
  const out = join(repoRoot(), 'bench', 'parse', 'latest.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${out} (sink ${sink % 997})`);
}

await main();
