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
import { createHash } from 'node:crypto';
import { startKey, stepKey } from '../cache/keys.js';
import type { StatCache } from '../context/stat-cache.js';
import { formatPlatform } from '../image/platform.js';
import { prepareCopy } from './execute/copy.js';
import { prepareMkdir } from './execute/mkdir.js';
import { runContent } from './execute/run-content.js';
import { executeRun, type RunSettings } from './execute/run.js';
import type { PreparedStep, StepContext } from './execute/step.js';
import { applyInstruction, startStage, type LayerRequest, type StageContext, type StageState } from './instructions/index.js';
import type { StepRecord } from '../cache/build-records.js';
import type { StepCache } from './step-cache.js';
import type { CommitOptions, LayerRef } from './layers.js';
import type { Vertex, Vertices } from './vertices.js';

export interface BuiltStage {
  state: StageState;
  /** Bottom first. */
  layers: LayerRef[];
  platform: Platform;
  /** The last step's cache key: what `COPY --from` this stage keys on. */
  key: string;
}

/** What a stage needs from the build around it. */
export interface StageEnvironment {
  store: Store;
  file: string;
  /** Prefix of step names (`linux/arm64 ` when several platforms build at once), else empty. */
  label: string;
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
  /** The same name as a cache-key input: the stage's last key or the image's digest. */
  keyOf(name: string, platform: Platform, before: number): Promise<string>;
  cache: StepCache;
  statCache: StatCache;
  /** Told about every step as it was keyed (for `--explain` and the build's records). */
  onStep(record: StepRecord, vertex: Vertex | undefined): void;
  /** SOURCE_DATE_EPOCH given: every `created` is the build's, never a cached step's. */
  fixedCreated: boolean;
  /** Step `index` of stage `stage` in the previous build of this Dockerfile, if its layer is here. */
  previousStep(stage: string, index: number): Promise<{ record: StepRecord; layer: LayerRef } | undefined>;
  /** True once any stage failed: the others stop before their next step. */
  cancelled(): boolean;
  /** A stage's label (`build`, `stage-1`) by index. */
  stageName(index: number): string;
}

interface Start {
  state: StageState;
  layers: LayerRef[];
  triggers: Instruction[];
  /** The key the first step builds on. */
  key: string;
  /** FROM's description for step records: an image digest, `scratch` or `stage:<name>`. */
  base: string;
  /** The base's newest history time: what metadata steps before the first new layer record. */
  created: string | undefined;
}

export async function buildStage(env: StageEnvironment, stage: Stage, ctx: StageContext): Promise<BuiltStage> {
  const label = (n: number, total: number): string => `[${env.label}${stage.id} ${n}/${total}]`;
  let total = stage.steps.length + 1;
  const start = await env.vertices.run(`${label(1, total)} ${oneLine(stage.from.node.original)}`, (vertex) => startFrom(env, stage, ctx, vertex));
  total += start.triggers.length;
  const platform = formatPlatform(ctx.platform);
  env.onStep({ stage: stage.id, index: 0, line: stage.from.range.start.line, text: oneLine(stage.from.node.original), key: start.key, parent: '', instruction: '', env: {}, base: start.base, cached: false }, undefined);
  let { state, key } = start;
  let created = env.fixedCreated ? ctx.created : start.created;
  const layers = [...start.layers];
  const steps: { instruction: Instruction; text: string }[] = [
    ...start.triggers.map((instruction) => ({ instruction, text: `ONBUILD ${oneLine(instruction.node.original)}` })),
    ...stage.steps.map((s) => ({ instruction: s.instruction, text: oneLine(s.instruction.node.original) })),
  ];
  const useCache = env.cache.usable(stage.name, stage.index);
  for (const [i, step] of steps.entries()) {
    if (env.cancelled()) throw new BuildCancelled();
    // Triggers run at the FROM line: that is where a user can see they come from.
    const position = i < start.triggers.length ? at(env.file, stage.from) : at(env.file, step.instruction);
    const parent = key;
    state = await env.vertices.run(`${label(i + 2, total)} ${step.text}`, async (vertex) => {
      const outcome = applyInstruction(state, step.instruction, ctx);
      const record = (stepKeyed: string, cached: boolean, extra: Partial<StepRecord> = {}): void =>
        env.onStep({ stage: stage.id, index: i + 1, line: position.line, text: step.text, key: stepKeyed, parent, instruction: outcome.cacheKey.instruction, env: hashedEnv(outcome.cacheKey.env), cached, ...extra }, vertex);
      // As in BuildKit, only steps that touch the filesystem are keyed: a LABEL or ENV changes the
      // config, and reaches a later RUN only through that RUN's own inputs (its env, user, cwd).
      if (outcome.layer === 'none') {
        record(key, false);
        return withCreated(outcome.state, created);
      }
      const stepCtx: StepContext = { ...stepContext(env, layers, ctx.platform, stage.index, vertex), position, text: step.text };
      const prepared = await prepare(env, outcome.layer, stepCtx);
      try {
        // The expanded instruction says everything a COPY or WORKDIR does; a RUN also sees its env.
        const seen = outcome.layer.kind === 'run' ? outcome.cacheKey.env : [];
        key = stepKey({ parent, platform, instruction: outcome.cacheKey.instruction, env: seen, content: prepared.content });
        const hit = useCache ? await env.cache.get(key) : undefined;
        record(key, hit !== undefined, { env: hashedEnv(seen), files: prepared.files, content: prepared.content });
        let layer: LayerRef | undefined;
        if (hit) {
          vertex.end({ cached: true });
          layer = hit.layer;
          if (!env.fixedCreated) created = hit.created;
        } else {
          // The same step's layer from the last build: its unchanged parts are reused, not
          // recompressed. Looked up only now, so a cached step never reads the last build's record.
          const previous = await env.previousStep(stage.id, i + 1);
          if (previous) {
            const { record: last, layer: lastLayer } = previous;
            const onlyContentDiffers = last.parent === parent && last.instruction === outcome.cacheKey.instruction && last.files !== undefined;
            stepCtx.previous = { layer: lastLayer, ...(onlyContentDiffers ? { files: last.files } : {}) };
          }
          layer = await located(() => prepared.run(), position, step.text);
          const now = new Date().toISOString();
          if (!env.fixedCreated) created = now;
          await env.cache.put({ key, created: now, ...(layer ? { layer } : {}) });
        }
        if (layer) layers.push(layer);
        const next = withCreated(outcome.state, created);
        return layer === undefined ? markEmpty(next) : next;
      } finally {
        await prepared.close();
      }
    });
  }
  return { state, layers, platform: ctx.platform, key };
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
  const platform = formatPlatform(ctx.platform);
  if (base.kind === 'stage') {
    const parent = await env.stage(base.stage);
    const started = startStage(parent.state.image, parent.state);
    return {
      state: started.state,
      layers: [...parent.layers],
      triggers: triggerInstructions(started.triggers, env.file, stage),
      key: startKey({ stage: parent.key }, platform),
      base: `stage:${env.stageName(base.stage)}`,
      created: lastCreated(parent.state.image),
    };
  }
  let config: ImageConfig;
  let layers: LayerRef[] = [];
  let digest = 'scratch';
  if (base.kind === 'scratch') {
    config = createImageConfig(ctx.platform);
  } else {
    try {
      const image = await env.image(base.ref, ctx.platform, vertex);
      config = image.config;
      layers = image.layers;
      digest = image.digest;
    } catch (err) {
      throw toBuildError(err, at(env.file, stage.from), `FROM ${base.ref}`);
    }
  }
  const started = startStage(config);
  return {
    state: started.state,
    layers,
    triggers: triggerInstructions(started.triggers, env.file, stage),
    key: startKey(digest === 'scratch' ? { scratch: true } : { image: digest }, platform),
    base: digest,
    created: lastCreated(config),
  };
}

function triggerInstructions(triggers: readonly string[], file: string, stage: Stage): Instruction[] {
  const out: Instruction[] = [];
  for (const trigger of triggers) {
    try {
      out.push(...toInstructions(parseDockerfile(trigger, { file: `${file} (ONBUILD of ${stage.baseName})` })));
    } catch (err) {
      throw toBuildError(err, at(file, stage.from), `ONBUILD ${trigger}`);
    }
  }
  return out;
}

function stepContext(env: StageEnvironment, layers: readonly LayerRef[], platform: Platform, stageIndex: number, vertex: Vertex): Omit<StepContext, 'position' | 'text'> {
  return {
    store: env.store,
    layers: [...layers],
    platform,
    context: env.context,
    statCache: env.statCache,
    layersOf: (name) => env.layersOf(name, platform, stageIndex),
    keyOf: (name) => env.keyOf(name, platform, stageIndex),
    commit: env.commit,
    log: (stream, data) => vertex.log(stream, data),
    status: (id, text, done) => vertex.status(id, text, done),
  };
}

async function prepare(env: StageEnvironment, request: LayerRequest, step: StepContext): Promise<PreparedStep> {
  return located(async () => {
    switch (request.kind) {
      case 'run': {
        const { content, files } = await runContent(request, step);
        return { content, files, run: () => executeRun(request, step, env.run), close: async () => undefined };
      }
      case 'copy':
      case 'add':
        return prepareCopy(request, step);
      case 'mkdir':
        return prepareMkdir(request, step);
    }
  }, step.position, step.text);
}

/** Runs `work`, turning hull's own unlocated errors into BuildErrors at the instruction. */
async function located<T>(work: () => Promise<T>, position: SourcePosition, text: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toBuildError(err, position, text);
  }
}

/** The history entry just appended gets the step's time (a cached step keeps its first run's). */
function withCreated(state: StageState, created: string | undefined): StageState {
  const history = [...(state.image.history ?? [])];
  const last = history.at(-1);
  if (!last) return state;
  const { created: _old, ...rest } = last;
  history[history.length - 1] = created === undefined ? rest : { ...rest, created };
  return { ...state, image: { ...state.image, history } };
}

function lastCreated(image: ImageConfig): string | undefined {
  return image.history?.findLast((h) => h.created !== undefined)?.created ?? image.created;
}

/** Names with a short hash of each value: enough to say which one changed, nothing to read a value from. */
function hashedEnv(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of env) {
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    out[name] = createHash('sha256').update(line).digest('hex').slice(0, 16);
  }
  return out;
}

/** The step changed nothing on disk: its history entry says so, as BuildKit's does. */
function markEmpty(state: StageState): StageState {
  const history = [...(state.image.history ?? [])];
  const last = history.at(-1);
  if (last) history[history.length - 1] = { ...last, empty_layer: true };
  return { ...state, image: { ...state.image, history } };
}

/** hull's own errors gain the instruction's position; located ones and bugs pass as they are. */
function toBuildError(err: unknown, position: SourcePosition, text: string): unknown {
  if (err instanceof LocatedError || !(err instanceof HullError) || err instanceof BuildCancelled) return err;
  return new BuildError(`${text}: ${err.message}`, position);
}

function at(file: string, instruction: Instruction): SourcePosition {
  return { file, line: instruction.range.start.line, column: instruction.range.start.column };
}

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
