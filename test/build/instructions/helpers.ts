import type { BuildGraphOptions } from '../../../src/graph/index.js';
import { createImageConfig, type ContainerConfig, type HistoryEntry, type ImageConfig } from '../../../src/image/config.js';
import { applyInstructions, startStage, type StageState, type StepOutcome } from '../../../src/build/instructions/index.js';
import { stageContext } from '../../../src/build/stage-context.js';
import { graphOf } from '../../graph/helpers.js';

export interface Built {
  outcomes: StepOutcome[];
  final: StageState;
  config: ContainerConfig;
  history: HistoryEntry[];
  image: ImageConfig;
}

/** An empty linux/amd64 base, as `FROM scratch` gives. */
export function scratch(config: ContainerConfig = {}): ImageConfig {
  return { ...createImageConfig({ os: 'linux', architecture: 'amd64' }), config };
}

/** Builds the metadata of one stage of `text` on `base` (default: scratch with no PATH). */
export function build(text: string, options: BuildGraphOptions & { base?: ImageConfig; stage?: number } = {}): Built {
  const { base, stage: index, ...graphOptions } = options;
  const graph = graphOf(text, graphOptions);
  const stage = graph.stages[index ?? graph.target]!;
  const start = startStage(base ?? scratch());
  const outcomes = applyInstructions(start.state, stage.steps.map((s) => s.instruction), stageContext(graph, stage));
  const final = outcomes.at(-1)?.state ?? start.state;
  return { outcomes, final, config: final.image.config ?? {}, history: final.image.history ?? [], image: final.image };
}

/** The created_by strings of the history entries this build added. */
export function createdBy(b: Built): (string | undefined)[] {
  return b.history.map((h) => h.created_by);
}

export const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
