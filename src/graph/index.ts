/**
 * The instruction graph: a Dockerfile's stages, their steps and what each depends on, with
 * ARGs scoped and FROM lines expanded, pruned to what `--target` needs. The builder walks it;
 * renderers show it.
 */
import { GraphError } from '../errors.js';
import type { Dockerfile } from '../parse/ast.js';
import { toInstructions } from '../parse/instructions/index.js';
import { evaluateGlobals, Expander, PLATFORM_ARGS, PROXY_ARGS } from './args.js';
import { buildOrder, findCycle, reachableFrom, type StageNames } from './deps.js';
import { planStage, type PlanContext, type StageEnd } from './plan.js';
import { hostPlatform, parsePlatform, platformArgs, type Platform } from '../image/platform.js';
import { checkStageNames, splitStages } from './stages.js';
import type { BuildGraph, BuildGraphOptions, ExternalImage, GraphWarning, Stage } from './types.js';

export type * from './types.js';
export { type Platform, parsePlatform, formatPlatform, hostPlatform, platformArgs, armVariant } from '../image/platform.js';
export { PROXY_ARGS, PLATFORM_ARGS, stageArgValue, mergeEnv, Expander, type ArgSources } from './args.js';
export { renderText } from './render/text.js';
export { renderDot } from './render/dot.js';
export { renderMermaid } from './render/mermaid.js';
export { renderJson, toJson, type GraphJson } from './render/json.js';

/** Builds the graph; throws ParseError for a bad instruction, GraphError for an impossible build. */
export function buildGraph(dockerfile: Dockerfile, options: BuildGraphOptions = {}): BuildGraph {
  const { file } = dockerfile;
  const buildArgs = toMap(options.buildArgs);
  const platform = platformOption(options.platform);
  const buildPlatform = platformOption(options.buildPlatform);
  const expander = new Expander(file, dockerfile.escapeToken);
  const warnings: GraphWarning[] = dockerfile.warnings.map((w) => ({ message: w.message, at: { file, ...w.range.start } }));

  const split = splitStages(toInstructions(dockerfile), file);
  checkStageNames(split.stages, file);
  const globals = evaluateGlobals(split.globalArgs, platformArgs(platform, buildPlatform), buildArgs, expander);

  const ctx: PlanContext = { file, expander, globals, buildArgs, names: stageNames(split.stages), warnings };
  const stages: Stage[] = [];
  const ends: StageEnd[] = [];
  for (const draft of split.stages) {
    const { stage, end } = planStage(draft, ctx, ends);
    stages.push(stage);
    ends.push(end);
  }

  const cycle = findCycle(stages);
  if (cycle) {
    const path = cycle.path.map((i) => stages[i]!.id).join(' → ');
    throw new GraphError(`circular dependency between stages: ${path}`, cycle.at);
  }

  const target = targetIndex(stages, options.target, file);
  const used = reachableFrom(stages, target);
  for (const s of stages) {
    s.used = used.has(s.index);
    s.isTarget = s.index === target;
  }
  warnUnusedBuildArgs(buildArgs, globals.declared, ends, used, warnings);

  return {
    file,
    escapeToken: dockerfile.escapeToken,
    stages,
    target,
    globalArgs: split.globalArgs,
    globalArgValues: globals.values,
    buildArgs,
    proxyArgs: new Map([...buildArgs].filter(([k]) => PROXY_ARGS.includes(k))),
    platform,
    buildPlatform,
    externalImages: externalImages(stages),
    buildOrder: buildOrder(stages),
    warnings,
  };
}

function toMap(args: BuildGraphOptions['buildArgs']): Map<string, string> {
  if (!args) return new Map();
  if (args instanceof Map) return new Map(args);
  return new Map(Object.entries(args as Readonly<Record<string, string>>));
}

function platformOption(p: string | Platform | undefined): Platform {
  if (p === undefined) return hostPlatform();
  return typeof p === 'string' ? parsePlatform(p) : p;
}

function stageNames(drafts: readonly { index: number; from: { stageName?: string; range: { start: { line: number } } } }[]): StageNames {
  const byName = new Map<string, number>();
  for (const d of drafts) if (d.from.stageName !== undefined) byName.set(d.from.stageName, d.index);
  return {
    count: drafts.length,
    byName,
    describe: (i) => {
      const d = drafts[i]!;
      return `stage ${i}${d.from.stageName ? ` "${d.from.stageName}"` : ''} at line ${d.from.range.start.line}`;
    },
  };
}

function targetIndex(stages: readonly Stage[], target: string | undefined, file: string): number {
  if (target === undefined || target === '') return stages.length - 1;
  const found = stages.find((s) => s.name === target.toLowerCase());
  if (found) return found.index;
  const named = stages.filter((s) => s.name !== undefined).map((s) => s.name!);
  const list = named.length > 0 ? `the named stages are ${named.join(', ')}` : 'no stage has a name (use FROM <image> AS <name>)';
  throw new GraphError(`target stage "${target}" could not be found: ${list}`, { file, line: 1, column: 1 });
}

/** A --build-arg no built stage (and no global ARG) declares is likely a typo: warn, as Docker does. */
function warnUnusedBuildArgs(
  buildArgs: ReadonlyMap<string, string>,
  globalDeclared: ReadonlySet<string>,
  ends: readonly StageEnd[],
  used: ReadonlySet<number>,
  warnings: GraphWarning[],
): void {
  const consumed = new Set([...globalDeclared, ...PROXY_ARGS, ...PLATFORM_ARGS]);
  for (const i of used) for (const name of ends[i]!.declared) consumed.add(name);
  const unused = [...buildArgs.keys()].filter((k) => !consumed.has(k));
  if (unused.length > 0) {
    warnings.push({ message: `one or more build-args were not consumed by any ARG of the stages that build: ${unused.join(', ')}` });
  }
}

function externalImages(stages: readonly Stage[]): ExternalImage[] {
  const byRef = new Map<string, ExternalImage>();
  for (const s of stages) {
    for (const d of s.deps) {
      if (d.image === undefined) continue;
      let entry = byRef.get(d.image);
      if (!entry) {
        entry = { ref: d.image, usedBy: [] };
        byRef.set(d.image, entry);
      }
      entry.usedBy.push(d.step === undefined ? { stage: s.index, kind: d.kind } : { stage: s.index, kind: d.kind, step: d.step });
    }
  }
  return [...byRef.values()];
}
