// The peer bench's four workloads: a Dockerfile each (bench/peers/workloads/NAME/Dockerfile,
// taking the base image as `ARG BASE`) and a context made here, every byte from a seeded PRNG so
// it is the same on every machine. The 200 MB context is bench/rebuild's tree (bench/rebuild/tree.ts:
// 20,000 files, made once and kept under a stamp); the others are small and made afresh each run.
// Each workload names one file the "one file changed" case edits.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mulberry32, type Rng } from '../../test/helpers/random.js';
import { editFile as editTreeFile, ensureTree, restoreEditable } from '../rebuild/tree.js';

export interface Workload {
  name: string;
  title: string;
  /** The directory holding the Dockerfile in the repository. */
  source: string;
  /** The context the tools build (under the bench's work directory). */
  context: string;
  /** The file (relative to the context) the "one file changed" case edits. */
  edited: string;
  /** Makes (or checks) the context; the Dockerfile is copied from `source`. */
  prepare(): void;
  /** Changes the edited file for the `round`-th "one file changed" build. */
  edit(round: number): void;
  /** Puts the edited file back as prepare() made it. */
  restore(): void;
}

const WORDS = 'alpha beta gamma delta layer cache image step copy build stage base push pull store tree node value'.split(' ');

function text(rng: Rng, bytes: number): Buffer {
  let s = '';
  while (s.length < bytes) {
    const n = 4 + Math.floor(rng() * 8);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rng() * WORDS.length)]!);
    s += `${words.join(' ')}\n`;
  }
  return Buffer.from(s.slice(0, bytes));
}

function binary(rng: Rng, bytes: number): Buffer {
  const buf = Buffer.alloc(Math.ceil(bytes / 4) * 4);
  for (let o = 0; o < buf.length; o += 4) buf.writeUInt32LE(Math.floor(rng() * 2 ** 32), o);
  return buf.subarray(0, bytes);
}

type FileMaker = (rng: Rng) => Buffer;

/** A small workload: the files (path → content recipe) written under the context with one seed. */
function small(name: string, title: string, workloadsDir: string, contextsDir: string, seed: number, files: Array<[string, FileMaker]>, edited: string): Workload {
  const context = join(contextsDir, name);
  const source = join(workloadsDir, name);
  const contents = (): Map<string, Buffer> => {
    const rng = mulberry32(seed);
    return new Map(files.map(([path, make]) => [path, make(rng)]));
  };
  return {
    name,
    title,
    source,
    context,
    edited,
    prepare() {
      rmSync(context, { recursive: true, force: true });
      mkdirSync(context, { recursive: true });
      copyFileSync(join(source, 'Dockerfile'), join(context, 'Dockerfile'));
      for (const [path, content] of contents()) {
        mkdirSync(dirname(join(context, path)), { recursive: true });
        writeFileSync(join(context, path), content);
      }
    },
    edit(round) {
      const original = contents().get(edited)!;
      const mark = Buffer.from(`bench edit ${round} ${Date.now()}\n`);
      writeFileSync(join(context, edited), Buffer.concat([mark, original.subarray(mark.length)]));
    },
    restore() {
      const original = contents().get(edited)!;
      const abs = join(context, edited);
      if (!readFileSync(abs).equals(original)) writeFileSync(abs, original);
    },
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const pad = (i: number): string => String(i).padStart(2, '0');

export function workloads(workloadsDir: string, contextsDir: string): Workload[] {
  const runHeavy = small('run-heavy', 'several RUN steps', workloadsDir, contextsDir, 0x0b5e_0001,
    range(20).map((i): [string, FileMaker] => [`src/notes-${pad(i)}.txt`, (r) => text(r, 4096)]), 'src/notes-03.txt');
  const multiStage = small('multi-stage', 'multi-stage, independent stages', workloadsDir, contextsDir, 0x0b5e_0002,
    [
      ...range(10).map((i): [string, FileMaker] => [`numbers/part-${pad(i)}.txt`, (r) => text(r, 8192)]),
      ...range(5).map((i): [string, FileMaker] => [`blobs/blob-${pad(i)}.bin`, (r) => binary(r, 100_000)]),
    ],
    'numbers/part-02.txt');
  const thirty = small('instructions-30', '30 instructions', workloadsDir, contextsDir, 0x0b5e_0003,
    [
      ['etc/app.conf', (r) => text(r, 600)],
      ['etc/logging.conf', (r) => text(r, 300)],
      ['bin/start', () => Buffer.from('#!/bin/sh\necho "app $VERSION"\n')],
      ['bin/helper', () => Buffer.from('#!/bin/sh\nls "$APP_HOME"\n')],
      ...range(20).map((i): [string, FileMaker] => [`lib/module-${pad(i)}.txt`, (r) => text(r, 2048 + Math.floor(r() * 6000))]),
      ...range(10).map((i): [string, FileMaker] => [`data/d-${pad(i)}.bin`, (r) => binary(r, 50_000)]),
      ['README.txt', (r) => text(r, 1500)],
    ],
    'lib/module-05.txt');
  const bigContext = join(contextsDir, 'context-200mb');
  const big: Workload = {
    name: 'context-200mb',
    title: '200 MB context, 20,000 files, COPY . /app',
    source: join(workloadsDir, 'context-200mb'),
    context: bigContext,
    edited: '',
    prepare() {
      // ensureTree writes bench/rebuild's own Dockerfile: ours (ARG BASE) replaces it.
      const info = ensureTree(bigContext, 'unused');
      copyFileSync(join(this.source, 'Dockerfile'), join(bigContext, 'Dockerfile'));
      this.edited = info.editable;
    },
    edit: (round) => editTreeFile(bigContext, round),
    restore: () => restoreEditable(bigContext),
  };
  return [runHeavy, multiStage, big, thirty];
}
