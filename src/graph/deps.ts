/**
 * What a stage depends on: its FROM base, `COPY --from` and `RUN --mount from=` sources. A
 * reference is a stage (by name, or by index) when one matches, else an image to pull.
 */
import { GraphError, type SourcePosition } from '../errors.js';
import type { BaseRef, GraphWarning, Stage } from './types.js';

export interface StageNames {
  count: number;
  /** Lower-cased name → index. */
  byName: ReadonlyMap<string, number>;
  describe(index: number): string;
}

const INDEX = /^\d+$/;

/**
 * `FROM x`: scratch, an earlier stage, or an image. Only earlier stages count, as in BuildKit,
 * so `FROM node AS node` builds on the image `node`.
 */
export function resolveBase(name: string, current: number, names: StageNames, at: SourcePosition, warnings: GraphWarning[]): BaseRef {
  if (name.toLowerCase() === 'scratch') return { kind: 'scratch' };
  if (INDEX.test(name)) {
    const index = Number(name);
    if (index < current) return { kind: 'stage', stage: index };
    throw new GraphError(
      `FROM ${name} refers to stage ${index}, which is not before this one (stage ${current}): a stage can only build on an earlier stage`,
      at,
    );
  }
  const found = names.byName.get(name.toLowerCase());
  if (found !== undefined && found < current) return { kind: 'stage', stage: found };
  if (found !== undefined && found > current) {
    warnings.push({
      message: `FROM ${name} uses the image "${name}", not the stage of that name defined later (${names.describe(found)}): a stage can only build on an earlier stage`,
      at,
    });
  }
  return { kind: 'image', ref: name };
}

/**
 * `COPY --from=x` / `--mount=from=x`: any other stage (later ones too, as in BuildKit: cycles
 * are caught afterwards), by name or index, else an image.
 */
export function resolveSource(
  value: string,
  what: string,
  current: number,
  names: StageNames,
  at: SourcePosition,
): { stage: number } | { image: string } {
  if (INDEX.test(value)) {
    const index = Number(value);
    if (index >= names.count) {
      throw new GraphError(
        `${what}=${value} refers to stage ${index}, but the Dockerfile has only ${names.count} stage${names.count === 1 ? '' : 's'} (0 to ${names.count - 1})`,
        at,
      );
    }
    if (index === current) throw new GraphError(`${what}=${value} refers to the stage it is in: a stage cannot use its own files`, at);
    return { stage: index };
  }
  const found = names.byName.get(value.toLowerCase());
  if (found === current) throw new GraphError(`${what}=${value} names the stage it is in: a stage cannot use its own files`, at);
  return found !== undefined ? { stage: found } : { image: value };
}

/** The stages `target` needs, itself included. */
export function reachableFrom(stages: readonly Pick<Stage, 'deps'>[], target: number): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    for (const d of stages[i]!.deps) if (d.stage !== undefined) stack.push(d.stage);
  }
  return seen;
}

/** Used stages, dependencies first, otherwise in file order. Assumes no cycles. */
export function buildOrder(stages: readonly Pick<Stage, 'deps' | 'used'>[]): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  const visit = (i: number): void => {
    if (done.has(i)) return;
    done.add(i);
    for (const d of stages[i]!.deps) if (d.stage !== undefined) visit(d.stage);
    order.push(i);
  };
  stages.forEach((s, i) => {
    if (s.used) visit(i);
  });
  return order;
}

/**
 * The first cycle among stage dependencies, as the stages around it and where the first
 * dependency of that path is written; undefined when there is none.
 */
export function findCycle(stages: readonly Pick<Stage, 'deps'>[]): { path: number[]; at: SourcePosition } | undefined {
  const state = new Array<0 | 1 | 2>(stages.length).fill(0); // unvisited, on the stack, done
  const path: number[] = [];
  // edges[k] is the dependency that leads from path[k] to path[k + 1].
  const edges: SourcePosition[] = [];
  const visit = (i: number): { path: number[]; at: SourcePosition } | undefined => {
    state[i] = 1;
    path.push(i);
    for (const d of stages[i]!.deps) {
      if (d.stage === undefined) continue;
      if (state[d.stage] === 1) {
        const k = path.indexOf(d.stage);
        return { path: [...path.slice(k), d.stage], at: k < edges.length ? edges[k]! : d.at };
      }
      if (state[d.stage] === 0) {
        edges.push(d.at);
        const found = visit(d.stage);
        if (found) return found;
        edges.pop();
      }
    }
    path.pop();
    state[i] = 2;
    return undefined;
  };
  for (let i = 0; i < stages.length; i++) {
    if (state[i] !== 0) continue;
    const found = visit(i);
    if (found) return found;
  }
  return undefined;
}
