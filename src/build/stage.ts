/**
 * Building one stage: its base (scratch, a previous stage, or an image), the base's ONBUILD
 * triggers, then each step — the instruction module says what changes, the executor makes the
 * layer. Steps stop early when another stage of the build has failed.
 */
import { BuildError, HullError, LocatedError, type SourcePosition } from '../errors.js';
import type { Stage } from '../graph/types.js';
import { createImageConfig, type ImageConfig } from '../image/config.js';
import type { Platform } from '../image/platform.js';
import { toInstructions, type Instruction } from '../parse/instructions/index.js';
import { parseDockerfile } from '../parse/parser.js';
import type { BuildContext } from '../context/context.js';
import type { Store } from '../store/store.js';
import type { BaseImage } from './base.js';
import { executeCopy } from './execute/copy.js';
import { executeMkdir } from './execute/mkdir.js';
import { executeRun, type RunSettings } from './execute/run.js';
import type { StepContext } from './execute/step.js';
import { applyInstruction, startStage, type StageContext, type StageState, type StepOutcome } from './instructions/index.js';
import type { CommitOptions, LayerRef } from './layers.js';
import type { Vertex, Vertices } from './vertices.js';

export interface BuiltStage {
  state: StageState;
  /** Bottom first. */
  layers: LayerRef[];
  platform: Platform;
}

/** What a stage needs from the build around it. */
export interface StageEnvironment {
  store: Store;
  file: string;
  context: BuildContext;
  vertices: Vertices;
  run: RunSettings;
  commit: CommitOptions;
  /** Another stage of this build, once built (by index). */
  stage(index: number): Promise<BuiltStage>;
  /** A base image for `platform`, pulled when needed (memoised per build). */
  image(reference: string, platform: Platform, vertex: Vertex): Promise<BaseImage>;
  /** The layers behind a `--from` / `from=` name: a stage (name or index) or an image. */
  layersOf(name: string, platform: Platform, before: number): Promise<readonly LayerRef[]>;
  /** True once any stage failed: the others stop before their next step. */
  cancelled(): boolean;
}

interface Start {
  state: StageState;
  layers: LayerRef[];
  triggers: Instruction[];
}

export async function buildStage(env: StageEnvironment, stage: Stage, ctx: StageContext): Promise<BuiltStage> {
  const label = (n: number, total: number): string => `[${stage.id} ${n}/${total}]`;
  let total = stage.steps.length + 1;
  const start = await env.vertices.run(`${label(1, total)} ${oneLine(stage.from.node.original)}`, (vertex) => startFrom(env, stage, ctx, vertex));
  total += start.triggers.length;
  let { state } = start;
  const layers = [...start.layers];
  const steps: { instruction: Instruction; text: string }[] = [
    ...start.triggers.map((instruction) => ({ instruction, text: `ONBUILD ${oneLine(instruction.node.original)}` })),
    ...stage.steps.map((s) => ({ instruction: s.instruction, text: oneLine(s.instruction.node.original) })),
  ];
  for (const [i, step] of steps.entries()) {
    if (env.cancelled()) throw new BuildCancelled();
    // Triggers run at the FROM line: that is where a user can see they come from.
    const position = i < start.triggers.length ? at(env.file, stage.from) : at(env.file, step.instruction);
    state = await env.vertices.run(`${label(i + 2, total)} ${step.text}`, async (vertex) => {
      const outcome = applyInstruction(state, step.instruction, ctx);
      const layer = await execute(env, outcome, { ...stepContext(env, layers, ctx.platform, stage.index, vertex), position, text: step.text });
      if (layer) layers.push(layer);
      return outcome.layer !== 'none' && layer === undefined ? markEmpty(outcome.state) : outcome.state;
    });
  }
  return { state, layers, platform: ctx.platform };
}

/** Thrown in stages stopped because another one failed; the solver reports the first real error. */
export class BuildCancelled extends HullError {
  override name = 'BuildCancelled';
  constructor() {
    super('build cancelled');
  }
}

async function startFrom(env: StageEnvironment, stage: Stage, ctx: StageContext, vertex: Vertex): Promise<Start> {
  const base = stage.base;
  if (base.kind === 'stage') {
    const parent = await env.stage(base.stage);
    const started = startStage(parent.state.image, parent.state);
    return { state: started.state, layers: [...parent.layers], triggers: triggerInstructions(started.triggers, env.file, stage) };
  }
  let config: ImageConfig;
  let layers: LayerRef[] = [];
  if (base.kind === 'scratch') {
    config = createImageConfig(ctx.platform);
  } else {
    try {
      const image = await env.image(base.ref, ctx.platform, vertex);
      config = image.config;
      layers = image.layers;
    } catch (err) {
      throw located(err, at(env.file, stage.from), `FROM ${base.ref}`);
    }
  }
  const started = startStage(config);
  return { state: started.state, layers, triggers: triggerInstructions(started.triggers, env.file, stage) };
}

function triggerInstructions(triggers: readonly string[], file: string, stage: Stage): Instruction[] {
  const out: Instruction[] = [];
  for (const trigger of triggers) {
    try {
      out.push(...toInstructions(parseDockerfile(trigger, { file: `${file} (ONBUILD of ${stage.baseName})` })));
    } catch (err) {
      throw located(err, at(file, stage.from), `ONBUILD ${trigger}`);
    }
  }
  return out;
}

function stepContext(env: StageEnvironment, layers: readonly LayerRef[], platform: Platform, stageIndex: number, vertex: Vertex): Omit<StepContext, 'position' | 'text'> {
  return {
    store: env.store,
    layers: [...layers],
    context: env.context,
    layersOf: (name) => env.layersOf(name, platform, stageIndex),
    commit: env.commit,
    log: (stream, data) => vertex.log(stream, data),
    status: (id, text, done) => vertex.status(id, text, done),
  };
}

async function execute(env: StageEnvironment, outcome: StepOutcome, step: StepContext): Promise<LayerRef | undefined> {
  const request = outcome.layer;
  if (request === 'none') return undefined;
  try {
    switch (request.kind) {
      case 'run':
        return await executeRun(request, step, env.run);
      case 'copy':
      case 'add':
        return await executeCopy(request, step);
      case 'mkdir':
        return await executeMkdir(request, step);
    }
  } catch (err) {
    throw located(err, step.position, step.text);
  }
}

/** The step changed nothing on disk: its history entry says so, as BuildKit's does. */
function markEmpty(state: StageState): StageState {
  const history = [...(state.image.history ?? [])];
  const last = history.at(-1);
  if (last) history[history.length - 1] = { ...last, empty_layer: true };
  return { ...state, image: { ...state.image, history } };
}

/** hull's own errors gain the instruction's position; located ones and bugs pass as they are. */
function located(err: unknown, position: SourcePosition, text: string): unknown {
  if (err instanceof LocatedError || !(err instanceof HullError) || err instanceof BuildCancelled) return err;
  return new BuildError(`${text}: ${err.message}`, position);
}

function at(file: string, instruction: Instruction): SourcePosition {
  return { file, line: instruction.range.start.line, column: instruction.range.start.column };
}

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
