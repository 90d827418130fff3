// Time-bounded, coverage-guided fuzzing of the parser, with the contract of fuzz.test.ts (any
// text gives a Dockerfile that dumps, or a located ParseError; nothing else, and never a hang).
//
// The feedback is V8's own precise block coverage (node:inspector, Profiler.takePreciseCoverage
// after every input), limited to the parser's scripts (src/parse/**, the compiled grammar
// included). An input that runs a block no earlier input ran joins the corpus, and mutants are
// drawn from that growing corpus; blind mutation (fuzz.test.ts) keeps drawing from the seeds.
// The coverage must grow past the seeds' within the run (new blocks come within the first few
// hundred mutants), or the feedback is broken and the test fails.
//
// No npm fuzzer is used: @jazzer.js/core 4 ships libFuzzer prebuilds that need glibc 2.38, and
// the older releases download theirs from GitHub at install time.
//
// HULL_FUZZ_COVERAGE_SECONDS  total fuzzing time (default 20)
// HULL_FUZZ_SEED              the seed (default 20240611). Input i depends on (seed, i, corpus),
//                             and the corpus on the coverage of inputs before i: the same seed
//                             and parser give the same inputs, but a changed parser does not.
// HULL_FUZZ_COVERAGE_REPLAY   judge only this file (one a failure report names: .Dockerfile or
//                             .json, the latter exact even for lone surrogates)
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { conformanceDir } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/random.js';
import {
  DEFAULT_SEED, envInt, FuzzWorker, HANG_MS, int, isFailure, loadCorpus, loadInput, MAX_HANGS, MAX_SHRUNK, mutate,
  reportCampaign, runCampaign, Shared, SHRINK_MS, streamSeed, tokenSoup, type Input, type Job, type Stats,
} from './fuzz-support.js';

const DEFAULT_SECONDS = 20;
/** Inputs longer than this do not join the corpus even with new coverage: mutants of huge parents parse slowly, and small inputs reach the same blocks. */
const CORPUS_MAX_CHARS = 100_000;
/** How often a mutant's parent is one of the inputs found here rather than any corpus entry: the finds are where the new blocks are. */
const FOUND_PARENT = 0.5;

interface CoverageJob extends Job {
  /** The saved input to judge alone, in replay mode. */
  replayFile: string | null;
}

/** Whether a script is the parser's (TypeScript under tsx, JavaScript in dist/). */
const isParserScript = (url: string): boolean => url.includes('/src/parse/');

/** The parser functions that ran in a take, by key (script url @ offset), with their nested ranges. */
function ranFunctions(scripts: readonly Profiler.ScriptCoverage[]): Map<string, Profiler.CoverageRange[]> {
  const out = new Map<string, Profiler.CoverageRange[]>();
  for (const script of scripts) {
    if (!isParserScript(script.url)) continue;
    for (const fn of script.functions) {
      const [whole, ...inner] = fn.ranges;
      if (whole && whole.count > 0) out.set(`${script.url}@${whole.startOffset}`, inner);
    }
  }
  return out;
}

/** Whether the block start..end ran, given the nested ranges of its function (which ran). */
function ran(inner: readonly Profiler.CoverageRange[], start: number, end: number): boolean {
  let innermost: Profiler.CoverageRange | null = null;
  for (const r of inner) {
    if (r.startOffset <= start && end <= r.endOffset && (!innermost || r.endOffset - r.startOffset < innermost.endOffset - innermost.startOffset)) innermost = r;
  }
  return innermost ? innermost.count > 0 : true;
}

/**
 * Which blocks of the parser's functions have run so far.
 *
 * V8 reports a function as its whole range followed by nested ranges, and leaves out a nested
 * range whose count equals its parent's: whether a block ran is read from the innermost range
 * holding it. So a block is only known once some input did NOT run it (count 0 while its
 * function ran); a block that always runs with its function counts as part of the function.
 */
class BlockCoverage {
  private readonly session = new Session();
  /** Per function: its nested blocks with whether anything ran each, and each distinct range list seen. */
  private readonly functions = new Map<string, { blocks: Map<string, { at: readonly [number, number]; ran: boolean }>; shapes: Map<string, Profiler.CoverageRange[]> }>();
  /** Blocks known (functions included), and blocks some input ran. */
  known = 0;
  covered = 0;
  takes = 0;
  takeMs = 0;

  constructor() {
    this.session.connect();
    this.call('Profiler.enable');
    // Binary counts (ran or not) suffice, and each take resets them: a take covers only what ran
    // since the one before.
    this.call('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  get functionCount(): number { return this.functions.size; }

  /** Posts a command. Same-thread inspector sessions answer synchronously, which keeps the fuzz loop synchronous (as the watchdog needs). */
  private call(method: 'Profiler.enable' | 'Profiler.stopPreciseCoverage'): void;
  private call(method: 'Profiler.startPreciseCoverage', params: Profiler.StartPreciseCoverageParameterType): void;
  private call(method: string, params?: object): void {
    let answered = false;
    let failure: Error | null = null;
    this.session.post(method, params ?? {}, (err: Error | null) => { answered = true; failure = err; });
    if (failure) throw failure;
    assert.ok(answered, `${method} got no synchronous answer`);
  }

  /** The coverage of what ran since the last take. */
  take(): Profiler.ScriptCoverage[] {
    const t0 = performance.now();
    let result: Profiler.ScriptCoverage[] | null = null;
    let failure: Error | null = null;
    this.session.post('Profiler.takePreciseCoverage', (err, value) => { failure = err; result = err ? null : value.result; });
    if (failure) throw failure;
    assert.ok(result, 'Profiler.takePreciseCoverage got no synchronous answer');
    this.takes++;
    this.takeMs += performance.now() - t0;
    return result;
  }

  /** Adds the coverage of what ran since the last take to the total; returns how many blocks ran for the first time. */
  merge(): number {
    let gained = 0;
    for (const [key, inner] of ranFunctions(this.take())) {
      let f = this.functions.get(key);
      if (!f) {
        f = { blocks: new Map(), shapes: new Map() };
        this.functions.set(key, f);
        this.known++;
        this.covered++;
        gained++;
      }
      for (const r of inner) {
        const id = `${r.startOffset}-${r.endOffset}`;
        if (f.blocks.has(id)) continue;
        // Known only now, but something earlier may have run it while V8 left it out (as not
        // different from its parent): it did if any earlier range list says it ran.
        const ranBefore = [...f.shapes.values()].some((shape) => ran(shape, r.startOffset, r.endOffset));
        f.blocks.set(id, { at: [r.startOffset, r.endOffset], ran: ranBefore });
        this.known++;
        if (ranBefore) this.covered++;
      }
      for (const block of f.blocks.values()) {
        if (!block.ran && ran(inner, block.at[0], block.at[1])) {
          block.ran = true;
          this.covered++;
          gained++;
        }
      }
      const shape = inner.map((r) => `${r.startOffset}-${r.endOffset}:${r.count}`).join(',');
      if (!f.shapes.has(shape)) f.shapes.set(shape, inner);
    }
    return gained;
  }

  stop(): void {
    this.call('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}

function fuzz(job: CoverageJob, worker: FuzzWorker): void {
  if (job.replayFile !== null) {
    worker.run(0, { text: loadInput(job.replayFile), recipe: `replay of ${job.replayFile}` });
    worker.finish({});
    return;
  }
  // Started before the seeds run, so that their coverage is the baseline.
  const coverage = new BlockCoverage();
  coverage.take();
  const seeds = loadCorpus(job.corpusRoot);
  // A block becomes known when an input runs its function but not it: the seeds' differences
  // make most blocks known before the first mutant.
  for (const [k, text] of seeds.entries()) {
    if (job.stuck.includes(k)) continue;
    const input = { text, recipe: `seed[${k}]` };
    const verdict = worker.run(k, input);
    coverage.merge();
    if (worker.probeAfter(k, input, verdict)) coverage.take();
  }
  const seedBlocks = coverage.covered;
  const corpus = [...seeds];
  /** Input index each find came from, for the recipes. */
  const origins: number[] = [];
  let fuzzed = 0;
  const fuzzStart = performance.now();
  const mutant = (index: number): Input => {
    const r = mulberry32(streamSeed(job.seed, index));
    if (r() < 0.05) return { text: tokenSoup(r), recipe: 'token-soup' };
    const base = origins.length > 0 && r() < FOUND_PARENT ? seeds.length + int(r, origins.length) : int(r, corpus.length);
    const { text, names } = mutate(r, corpus[base]!, corpus);
    const parent = base < seeds.length ? `seed[${base}]` : `found[${base - seeds.length}] (input #${origins[base - seeds.length]})`;
    return { text, recipe: `${parent} ${names.join(' > ')}` };
  };
  // Indices go on from the seeds', so that every judged input has its own index.
  for (let index = Math.max(job.start, seeds.length); Date.now() < job.deadline; index++) {
    const input = mutant(index);
    const verdict = worker.run(index, input);
    fuzzed++;
    // One take per input (about a parse's cost): batching inputs between takes was tried, and
    // the union of a batch hides blocks that only some of its inputs skipped, so fewer blocks
    // become known and coverage grew slower per second despite more inputs per second.
    if (coverage.merge() > 0 && !isFailure(verdict) && input.text.length <= CORPUS_MAX_CHARS) {
      corpus.push(input.text);
      origins.push(index);
    }
    // The probe's parse (an earlier input again) is not this input's coverage.
    if (worker.probeAfter(index, input, verdict)) coverage.take();
  }
  coverage.stop();
  worker.finish({
    seeds: seeds.length, fuzzed, found: origins.length, seedBlocks, blocks: coverage.covered, known: coverage.known,
    functions: coverage.functionCount, takes: coverage.takes, takeMs: coverage.takeMs, fuzzMs: performance.now() - fuzzStart,
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const job = workerData as CoverageJob;
  fuzz(job, new FuzzWorker(job, (m) => port.postMessage(m)));
}

function describeStats(s: Stats): string[] {
  const n = (key: string): number => s[key] ?? NaN;
  return [
    `${n('fuzzed')} mutants in ${(n('fuzzMs') / 1000).toFixed(1)} s (${(n('fuzzed') / (n('fuzzMs') / 1000)).toFixed(0)}/s) after ${n('seeds')} seeds; ${n('takes')} coverage takes (${(n('takeMs') / 1000).toFixed(1)} s)`,
    `corpus: ${n('seeds')} seeds + ${n('found')} inputs with new coverage`,
    `blocks run: ${n('seedBlocks')} by the seeds, ${n('blocks')} in all (${n('known')} known, in ${n('functions')} parser functions run)`,
  ];
}

if (isMainThread) {
  const seed = envInt('HULL_FUZZ_SEED', DEFAULT_SEED) >>> 0;
  const seconds = envInt('HULL_FUZZ_COVERAGE_SECONDS', DEFAULT_SECONDS);
  const replayFile = process.env.HULL_FUZZ_COVERAGE_REPLAY || null;
  const label = replayFile !== null ? `replay of ${replayFile}` : `seed ${seed}, ${seconds} s`;
  // Room for the seeds, the fuzzing, the shrinking, and each hang's watchdog delay.
  const timeout = (seconds + MAX_SHRUNK * (SHRINK_MS / 1000) + (MAX_HANGS + 1) * (HANG_MS / 1000) + 60) * 1000;

  test(`coverage-guided fuzzing keeps the parser's contract (${label})`, { timeout }, async (t) => {
    const corpusRoot = conformanceDir();
    assert.ok(existsSync(join(corpusRoot, 'realworld')), `expected the conformance corpus in ${corpusRoot}`);
    const job: CoverageJob = {
      seed, start: 0, stuck: [], deadline: Date.now() + seconds * 1000, single: replayFile !== null, corpusRoot,
      shared: Shared.create().buffer, tag: replayFile !== null ? 'hull-fuzz-coverage-replay' : 'hull-fuzz-coverage', replayFile,
    };
    const campaign = await runCampaign(import.meta.url, job);
    const stats = campaign.stats;
    const extra = stats && replayFile === null ? describeStats(stats) : [];
    reportCampaign(t, campaign, [`seed ${seed}`, ...extra], 'replay one with HULL_FUZZ_COVERAGE_REPLAY=<its .json file>');
    if (replayFile !== null) return;
    assert.ok(stats, 'the fuzz worker did not report its coverage');
    // The feedback works only if coverage is seen at all, and grows past what the seeds reach.
    assert.ok((stats.seedBlocks ?? 0) > 0, 'no coverage of the parser\'s scripts was seen: is the script filter right?');
    assert.ok((stats.blocks ?? 0) > (stats.seedBlocks ?? 0), `coverage did not grow beyond the seeds' ${stats.seedBlocks} blocks`);
    assert.ok((stats.found ?? 0) > 0, 'no mutant with new coverage joined the corpus');
  });
}
