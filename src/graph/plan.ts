/**
 * One stage from its draft: expand and resolve FROM, walk the instructions keeping the ARG/ENV
 * scope, and record the dependencies of COPY --from and RUN --mount from=.
 */
import { GraphError } from '../errors.js';
import { splitCsv, type FromInstruction, type RunInstruction, type Word } from '../parse/instructions/index.js';
import { defaultWord, mergeEnv, PLATFORM_ARGS, stageArgValue, type Expander, type GlobalScope } from './args.js';
import { resolveBase, resolveSource, type StageNames } from './deps.js';
import { formatPlatform, parsePlatform } from '../image/platform.js';
import type { StageDraft } from './stages.js';
import type { Dependency, GraphWarning, Stage, Step } from './types.js';

export interface PlanContext {
  file: string;
  expander: Expander;
  globals: GlobalScope;
  buildArgs: ReadonlyMap<string, string>;
  names: StageNames;
  warnings: GraphWarning[];
}

/** What a child stage inherits (`FROM parent`) and which ARG names the stage declares. */
export interface StageEnd {
  args: ReadonlyMap<string, string>;
  env: ReadonlyMap<string, string>;
  declared: Set<string>;
}

export function planStage(draft: StageDraft, ctx: PlanContext, ends: readonly StageEnd[]): { stage: Stage; end: StageEnd } {
  const { from } = draft;
  const stage = planFrom(draft.index, from, ctx);
  const parent = stage.base.kind === 'stage' ? ends[stage.base.stage] : undefined;

  // The ARG and ENV maps are replaced, never mutated, so steps can share snapshots.
  let args: ReadonlyMap<string, string> = parent?.args ?? new Map();
  // ENV known from the Dockerfile; the base image's own ENV is the builder's business.
  let env: ReadonlyMap<string, string> = parent?.env ?? new Map();
  const declared = new Set<string>();

  draft.instructions.forEach((ins, i) => {
    const step: Step = { index: i, instruction: ins, line: ins.range.start.line, args };
    stage.steps.push(step);
    switch (ins.kind) {
      case 'arg': {
        const next = new Map(args);
        for (const decl of ins.args) {
          declared.add(decl.name);
          const scope = mergeEnv(next, env);
          const value = stageArgValue(decl, { buildArgs: ctx.buildArgs, globals: ctx.globals.values }, () =>
            ctx.expander.expand(defaultWord(decl), scope).result,
          );
          if (value !== undefined) next.set(decl.name, value);
        }
        args = next;
        break;
      }
      case 'env': {
        // Every pair sees the values from before the line (`ENV A=1 B=$A` gives B the old A).
        const scope = mergeEnv(args, env);
        const next = new Map(env);
        for (const { key, value } of ins.pairs) next.set(key.value, ctx.expander.expand(value, scope).result);
        env = next;
        break;
      }
      case 'copy':
        if (ins.from) addSource(stage, ins.from, 'COPY --from', 'copy', i, mergeEnv(args, env), ctx);
        break;
      case 'run':
        for (const word of mountSources(ins)) addSource(stage, word, 'RUN --mount from', 'mount', i, mergeEnv(args, env), ctx);
        break;
      default:
        break;
    }
  });
  return { stage, end: { args, env, declared } };
}

function planFrom(index: number, from: FromInstruction, ctx: PlanContext): Stage {
  const { expander, globals, warnings, file } = ctx;
  const imageAt = { file, ...from.image.range.start };
  const expanded = expander.expand(from.image, globals.values);
  warnUndefined(from.image, expanded.unmatched, ctx);
  const baseName = expanded.result;
  if (baseName === '') {
    throw new GraphError(
      `FROM ${from.image.value} expands to an empty image name: give the ARG a default before the first FROM, or pass --build-arg`,
      imageAt,
    );
  }
  const stage: Stage = {
    index,
    id: from.stageName ?? `stage-${index}`,
    from,
    baseName,
    base: resolveBase(baseName, index, ctx.names, imageAt, warnings),
    steps: [],
    deps: [],
    used: false,
    isTarget: false,
  };
  if (from.stageName !== undefined) stage.name = from.stageName;
  if (stage.base.kind !== 'scratch') {
    stage.deps.push(
      stage.base.kind === 'stage'
        ? { kind: 'from', stage: stage.base.stage, at: imageAt }
        : { kind: 'from', image: stage.base.ref, at: imageAt },
    );
  }
  if (from.platform) {
    const p = expander.expand(from.platform, globals.values);
    warnUndefined(from.platform, p.unmatched, ctx);
    try {
      stage.platform = formatPlatform(parsePlatform(p.result));
    } catch (err) {
      throw new GraphError(`FROM --platform=${p.result}: ${(err as Error).message}`, { file, ...from.platform.range.start });
    }
  }
  lintFrom(from, ctx);
  return stage;
}

/** A FROM that uses a variable no global ARG declares gets an empty string there: say so. */
function warnUndefined(word: Word, unmatched: ReadonlySet<string>, ctx: PlanContext): void {
  for (const name of unmatched) {
    if (ctx.globals.declared.has(name) || PLATFORM_ARGS.includes(name)) continue;
    ctx.warnings.push({
      message: `FROM uses $${name}, but no ARG before the first FROM declares it, so it expands to an empty string`,
      at: { file: ctx.file, ...word.range.start },
    });
  }
}

function lintFrom(from: FromInstruction, ctx: PlanContext): void {
  const { stageNameWord: nameWord, asWord } = from;
  if (nameWord && nameWord.value !== nameWord.value.toLowerCase()) {
    ctx.warnings.push({
      message: `stage name "${nameWord.value}" should be lower case: stage names are matched as "${nameWord.value.toLowerCase()}"`,
      at: { file: ctx.file, ...nameWord.range.start },
    });
  }
  if (asWord) {
    const kw = from.node.keyword;
    const kwUpper = kw === kw.toUpperCase();
    const asUpper = asWord.value === asWord.value.toUpperCase();
    if (kwUpper !== asUpper) {
      ctx.warnings.push({
        message: `"${asWord.value}" and "${kw}" keywords' casing do not match: write both in the same case`,
        at: { file: ctx.file, ...asWord.range.start },
      });
    }
  }
}

/** The `from=` value of each --mount, as a word positioned at its flag. */
function mountSources(run: RunInstruction): Word[] {
  const words: Word[] = [];
  for (const m of run.mounts) {
    // Taken from the spec rather than `m.from`, which is unset while it holds a `$`.
    for (const field of splitCsv(m.spec)) {
      const eq = field.indexOf('=');
      if (eq >= 0 && field.slice(0, eq).trim().toLowerCase() === 'from') words.push({ value: field.slice(eq + 1), range: m.range });
    }
  }
  return words;
}

function addSource(
  stage: Stage,
  word: Word,
  what: string,
  kind: Dependency['kind'],
  step: number,
  env: ReadonlyMap<string, string>,
  ctx: PlanContext,
): void {
  const at = { file: ctx.file, ...word.range.start };
  const value = ctx.expander.expand(word, env).result;
  if (value === '') {
    throw new GraphError(`${what}=${word.value} expands to an empty name: name a stage, a stage index or an image`, at);
  }
  const found = resolveSource(value, what, stage.index, ctx.names, at);
  stage.deps.push('stage' in found ? { kind, stage: found.stage, step, at } : { kind, image: found.image, step, at });
}
