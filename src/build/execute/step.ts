/** What every step executor gets from the stage it runs in, and what it gives back. */
import type { BuildContext } from '../../context/context.js';
import type { DigestInput } from '../../context/hash.js';
import type { StatCache } from '../../context/stat-cache.js';
import type { SourcePosition } from '../../errors.js';
import type { Platform } from '../../image/platform.js';
import type { Store } from '../../store/store.js';
import { commitUpperDir, type CommitOptions, type LayerRef } from '../layers.js';

export interface StepContext {
  store: Store;
  /** The stage's layers so far, bottom first. */
  layers: readonly LayerRef[];
  /** The platform the stage builds for: a foreign one runs through qemu. */
  platform: Platform;
  /** The build context (COPY sources, RUN --mount=type=bind without from). */
  context: BuildContext;
  /** Content hashes of context files kept between builds. */
  statCache: StatCache;
  /** The layers of a stage or image named by `--from` / `from=`, once it is built or pulled. */
  layersOf(name: string): Promise<readonly LayerRef[]>;
  /** What a `--from` name stands for in a cache key: a stage's last key, or an image's digest. */
  keyOf(name: string): Promise<string>;
  commit: CommitOptions;
  /** The same step in the previous build of this Dockerfile, when its layer is in the store. */
  previous?: PreviousStep;
  /** The instruction, for errors. */
  position: SourcePosition;
  /** The instruction's text as written (`RUN make`), for errors. */
  text: string;
  log(stream: 'stdout' | 'stderr', data: string): void;
  status(id: string, text: string, done: boolean): void;
}

export interface PreviousStep {
  layer: LayerRef;
  /**
   * The context files it read, when it ran on the same parent with the same instruction, so
   * that only the contents of those files can make the two differ.
   */
  files?: readonly DigestInput[];
}

/**
 * A step ready to run: what it reads is known (for its cache key) but nothing is written yet.
 * `close()` releases what preparing took (temp dirs, downloads), whether or not it ran.
 */
export interface PreparedStep {
  /** Digests of what the step reads besides its parent layers. */
  content: string[];
  /** The context files it reads, for explaining a cache miss. */
  files: DigestInput[];
  run(): Promise<LayerRef | undefined>;
  close(): Promise<void>;
}

/** The overlay upper dir a step left, as its layer (undefined when nothing changed). */
export async function commitStep(step: StepContext, upperDir: string): Promise<LayerRef | undefined> {
  step.status('layer', 'writing layer', false);
  const layer = await commitUpperDir(step.store, upperDir, step.previous ? { ...step.commit, previous: step.previous.layer } : step.commit);
  step.status('layer', layer ? `writing layer ${layer.blob.digest}` : 'no changes', true);
  return layer;
}
