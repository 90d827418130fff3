/**
 * One platform of a build: the graph for that platform (its TARGET* args), every stage the
 * target needs started at once (each waits for what it depends on), base images resolved once,
 * and the steps' records for the cache and `--explain`.
 */
import { previousBuild, type StepRecord } from '../cache/build-records.js';
import { explainMiss } from '../cache/explain.js';
import type { CacheIndex } from '../cache/records.js';
import type { BuildContext } from '../context/context.js';
import type { MemoryStatCache } from '../context/stat-cache.js';
import { buildGraph } from '../graph/index.js';
import type { BuildGraph } from '../graph/types.js';
import type { Dockerfile } from '../parse/ast.js';
import { formatPlatform, type Platform } from '../image/platform.js';
import { resolveBase, type BaseImage } from './base.js';
import type { LayerRef } from './layers.js';
import type { BuildOptions } from './solver.js';
import { BuildCancelled, buildStage, type BuiltStage, type StageEnvironment } from './stage.js';
import { stageContext } from './stage-context.js';
import type { Vertex, Vertices } from './vertices.js';

/** What all platforms of one build share. */
export interface SharedBuild {
  options: BuildOptions;
  dockerfile: Dockerfile;
  /** Absolute: build records are kept per Dockerfile. */
  dockerfilePath: string;
  context: BuildContext;
  vertices: Vertices;
  statCache: MemoryStatCache;
  index: CacheIndex;
  created: string;
  /** Set when any platform fails: the others stop before their next step. */
  failed: { value: boolean };
}

export interface PlatformBuild {
  graph: BuildGraph;
  target: BuiltStage;
  steps: StepRecord[];
  platform: string;
}

/** The graph of the Dockerfile for one target platform. */
export function platformGraph(shared: SharedBuild, platform: string | undefined): BuildGraph {
  const { options } = shared;
  return buildGraph(shared.dockerfile, {
    ...(options.target !== undefined ? { target: options.target } : {}),
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...(platform !== undefined ? { platform } : {}),
  });
}

/** Builds the target stage of `graph`; `label` prefixes step names when several platforms build at once. */
export async function buildPlatform(shared: SharedBuild, graph: BuildGraph, label: string): Promise<PlatformBuild> {
  const { options, vertices } = shared;
  const platform = formatPlatform(graph.platform);
  const solver = new Solver(options, graph, vertices, shared);
  const noCacheFilter = (options.noCacheFilter ?? []).map((f) => f.toLowerCase());
  // The last build's record (every file listing of it) is read only when a step needs it: a step
  // to rebuild (its previous layer) or --explain; a build served by the cache never reads it.
  let previousRecord: ReturnType<typeof previousBuild> | undefined;
  const loadPrevious = (): ReturnType<typeof previousBuild> => (previousRecord ??= previousBuild(options.store, shared.dockerfilePath, platform));
  const previous = options.explain ? await loadPrevious() : undefined;
  const steps: StepRecord[] = [];
  const env: StageEnvironment = {
    store: options.store,
    file: graph.file,
    label,
    context: shared.context,
    vertices,
    run: { network: options.network ?? 'host', ...(options.runtime !== undefined ? { runtime: options.runtime } : {}), ...(options.secrets ? { secrets: options.secrets } : {}) },
    commit: {
      ...(options.compression !== undefined ? { compression: options.compression } : {}),
      ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}),
      ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
    },
    cache: {
      usable: (name, i) => !options.noCache && !noCacheFilter.includes(name ?? '') && !noCacheFilter.includes(String(i)),
      get: (key) => shared.index.get(key),
      put: (record) => shared.index.put(record),
    },
    statCache: shared.statCache,
    fixedCreated: options.sourceDateEpoch !== undefined,
    previousStep: async (stage, index) => {
      const record = (await loadPrevious())?.steps.find((s) => s.stage === stage && s.index === index);
      if (record === undefined) return undefined;
      const layer = (await shared.index.read(record.key))?.layer;
      return layer && (await options.store.hasBlob(layer.blob.digest)) ? { record, layer } : undefined;
    },
    onStep: (record, vertex) => {
      steps.push(record);
      // Layer steps carry `files`; metadata steps are never "rebuilt".
      if (options.explain && vertex && !record.cached && record.files !== undefined) vertex.status('cache', `not cached: ${explainMiss(record, steps, previous)}`, true);
    },
    stage: (i) => solver.stage(i, env),
    stageName: (i) => graph.stages[i]!.id,
    image: (ref, p, vertex) => solver.image(ref, p, vertex),
    layersOf: (name, p, before) => solver.layersOf(name, p, before, env),
    keyOf: (name, p, before) => solver.keyOf(name, p, before, env),
    cancelled: () => shared.failed.value,
  };
  const target = await solver.all(env);
  return { graph, target, steps, platform };
}

/** Stage results and base images of one platform, each computed once. */
class Solver {
  private readonly stages = new Map<number, Promise<BuiltStage>>();
  private readonly images = new Map<string, Promise<BaseImage>>();

  constructor(
    private readonly options: BuildOptions,
    private readonly graph: BuildGraph,
    private readonly vertices: Vertices,
    private readonly shared: SharedBuild,
  ) {}

  stage(index: number, env: StageEnvironment): Promise<BuiltStage> {
    let promise = this.stages.get(index);
    if (promise === undefined) {
      const stage = this.graph.stages[index]!;
      promise = buildStage(env, stage, stageContext(this.graph, stage, this.shared.created));
      promise.catch(() => {
        this.shared.failed.value = true;
      });
      this.stages.set(index, promise);
    }
    return promise;
  }

  /** Starts every stage the target needs at once (each waits for what it depends on); the target's result. */
  async all(env: StageEnvironment): Promise<BuiltStage> {
    const started = this.graph.buildOrder.map((i) => this.stage(i, env));
    const settled = await Promise.allSettled(started);
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const real = failures.find((e) => !(e instanceof BuildCancelled));
    if (real !== undefined || failures.length > 0) throw real ?? failures[0];
    return this.stage(this.graph.target, env);
  }

  image(reference: string, platform: Platform, vertex: Vertex): Promise<BaseImage> {
    const key = `${reference} ${formatPlatform(platform)}`;
    let promise = this.images.get(key);
    if (promise === undefined) {
      promise = resolveBase(this.options.store, reference, platform, {
        pull: this.options.pull ?? false,
        onPull: (e) => {
          if (e.kind === 'progress') vertex.status(e.digest, `${e.digest}`, false, { current: e.received, total: e.size });
          else if (e.kind === 'blob') vertex.status(e.digest, `${e.digest}`, true, { current: e.size, total: e.size });
        },
        onWarning: (message) => this.vertices.warn(message),
      });
      this.images.set(key, promise);
    }
    return promise;
  }

  async layersOf(name: string, platform: Platform, before: number, env: StageEnvironment): Promise<readonly LayerRef[]> {
    const index = this.stageIndex(name, before);
    if (index !== undefined) return (await this.stage(index, env)).layers;
    return (await this.namedImage(name, platform)).layers;
  }

  async keyOf(name: string, platform: Platform, before: number, env: StageEnvironment): Promise<string> {
    const index = this.stageIndex(name, before);
    if (index !== undefined) return (await this.stage(index, env)).key;
    return (await this.namedImage(name, platform)).digest;
  }

  /** A `--from` name as a stage of this build (by name, or by index of an earlier stage). */
  private stageIndex(name: string, before: number): number | undefined {
    const lower = name.toLowerCase();
    const byName = this.graph.stages.find((s) => s.name === lower && s.index < before);
    return byName?.index ?? (/^\d+$/.test(name) && Number(name) < before ? Number(name) : undefined);
  }

  private namedImage(name: string, platform: Platform): Promise<BaseImage> {
    return this.vertices.run(`[internal] load ${name}`, (vertex) => this.image(name, platform, vertex));
  }
}
