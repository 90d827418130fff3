// Time-bounded, seeded mutation fuzzing of the parser. The contract under test
// (src/parse/parser.ts): for ANY text, parseDockerfile returns a Dockerfile or throws a located
// ParseError, never anything else and never hangs; a Dockerfile it returns can be dumped.
//
// HULL_FUZZ_SECONDS  total fuzzing time (default 20)
// HULL_FUZZ_SEED     the seed (default 20240611); input i depends only on (seed, i, corpus)
// HULL_FUZZ_REPLAY   run only input i of that seed (reproduces one reported failure)
//
// Corpus, mutators, oracle and the watched worker are in fuzz-support.ts (shared with the
// coverage-guided fuzz-coverage.test.ts); this test's inputs are blind: each is a pure function
// of (seed, index, corpus), so any one can be rebuilt alone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { conformanceDir } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/random.js';
import {
  DEFAULT_SEED, envInt, FuzzWorker, HANG_MS, int, loadCorpus, MAX_HANGS, MAX_SHRUNK, mutate, reportCampaign, runCampaign,
  Shared, SHRINK_MS, streamSeed, tokenSoup, type Input, type Job,
} from './fuzz-support.js';

const DEFAULT_SECONDS = 20;

/** Input `index` of `seed`: a pure function of (seed, index, corpus), so any input can be rebuilt. */
function makeInput(corpus: readonly string[], seed: number, index: number): Input {
  const r = mulberry32(streamSeed(seed, index));
  if (r() < 0.08) return { text: tokenSoup(r), recipe: 'token-soup' };
  const base = int(r, corpus.length);
  const { text, names } = mutate(r, corpus[base]!, corpus);
  return { text, recipe: `corpus[${base}] ${names.join(' > ')}` };
}

function fuzz(job: Job, worker: FuzzWorker): void {
  const corpus = loadCorpus(job.corpusRoot);
  for (let index = job.start; job.single ? index === job.start : Date.now() < job.deadline; index++) {
    const input = makeInput(corpus, job.seed, index);
    worker.probeAfter(index, input, worker.run(index, input));
  }
  worker.finish({ corpus: corpus.length });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const job = workerData as Job;
  fuzz(job, new FuzzWorker(job, (m) => port.postMessage(m)));
}

if (isMainThread) {
  const seed = envInt('HULL_FUZZ_SEED', DEFAULT_SEED) >>> 0;
  const seconds = envInt('HULL_FUZZ_SECONDS', DEFAULT_SECONDS);
  const replayRaw = process.env.HULL_FUZZ_REPLAY;
  const replay = replayRaw !== undefined && replayRaw !== '' ? envInt('HULL_FUZZ_REPLAY', 0) : null;
  const label = replay !== null ? `input #${replay}` : `${seconds} s`;
  const reproduce = `HULL_FUZZ_SEED=${seed}${replay !== null ? ` HULL_FUZZ_REPLAY=${replay}` : ''}`;
  // Room for the fuzzing, the shrinking, and each hang's watchdog delay.
  const timeout = (seconds + MAX_SHRUNK * (SHRINK_MS / 1000) + (MAX_HANGS + 1) * (HANG_MS / 1000) + 60) * 1000;

  test(`the parser survives mutated Dockerfiles (seed ${seed}, ${label}; reproduce with ${reproduce})`, { timeout }, async (t) => {
    const corpusRoot = conformanceDir();
    assert.ok(existsSync(join(corpusRoot, 'realworld')), `expected the conformance corpus in ${corpusRoot}`);
    const job: Job = {
      seed, start: replay ?? 0, stuck: [], deadline: Date.now() + seconds * 1000, single: replay !== null, corpusRoot,
      shared: Shared.create().buffer, tag: 'hull-fuzz',
    };
    const campaign = await runCampaign(import.meta.url, job);
    const corpus = campaign.stats?.corpus;
    reportCampaign(t, campaign, [`seed ${seed}${corpus !== undefined ? `, ${corpus} corpus files` : ''}`], `replay one with HULL_FUZZ_SEED=${seed} HULL_FUZZ_REPLAY=<index>`);
  });
}
