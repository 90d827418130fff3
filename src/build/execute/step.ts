/** What every step executor gets from the stage it runs in. */
import type { SourcePosition } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { BuildContext } from '../../context/context.js';
import type { CommitOptions, LayerRef } from '../layers.js';

export interface StepContext {
  store: Store;
  /** The stage's layers so far, bottom first. */
  layers: readonly LayerRef[];
  /** The build context (COPY sources, RUN --mount=type=bind without from). */
  context: BuildContext;
  /** The layers of a stage or image named by `--from` / `from=`, once it is built or pulled. */
  layersOf(name: string): Promise<readonly LayerRef[]>;
  commit: CommitOptions;
  /** The instruction, for errors. */
  position: SourcePosition;
  /** The instruction's text as written (`RUN make`), for errors. */
  text: string;
  log(stream: 'stdout' | 'stderr', data: string): void;
  status(id: string, text: string, done: boolean): void;
}
