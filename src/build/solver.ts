/**
 * `build`: Dockerfile → instruction graph → stages (independent ones at the same time) → an
 * image in the store. The caller tags, exports or pushes the result (see output.ts).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { previousBuild, saveBuild, type StepRecord } from '../cache/build-records.js';
import { explainMiss } from '../cache/explain.js';
import { CacheIndex, type CacheRecord } from '../cache/records.js';
import type { CacheMode, CacheSpec } from '../cache/spec.js';
import { exportCache, importCache } from '../cache/transfer.js';
import { loadStatCache, saveStatCache } from '../cache/stat-store.js';
import { openContext } from '../context/context.js';
import { GraphError } from '../errors.js';
import { buildGraph } from '../graph/index.js';
import type { BuildGraph, Stage } from '../graph/types.js';
import type { ImageConfig } from '../image/config.js';
import { createManifest, type Descriptor } from '../image/manifest.js';
import { MediaType, type Compression } from '../image/mediatypes.js';
import { formatPlatform, type Platform } from '../image/platform.js';
import { parseDockerfile } from '../parse/parser.js';
import type { Store } from '../store/store.js';
import type { NetworkMode } from '../exec/bundle.js';
import { probeSnapshotter } from '../exec/rootfs.js';
import { ensureBlob } from '../registry/ensure-blob.js';
import { selectRuntime } from '../exec/runtime.js';
import type { Secret } from './secrets.js';
import { resolveBase, type BaseImage } from './base.js';
import type { BuildEventListener } from './events.js';
import type { LayerRef } from './layers.js';
import { BuildCancelled, buildStage, type BuiltStage, type StageEnvironment } from './stage.js';
import { stageContext } from './stage-context.js';
import { Vertices, type Vertex } from './vertices.js';

export interface BuildOptions {
  store: Store;
  /** The build context directory. */
  contextDir: string;
  /** The Dockerfile's path (default: CONTEXT/Dockerfile). */
  dockerfile?: string;
  /** The Dockerfile's text when it does not come from a file (`-f -`); `dockerfile` then only names it. */
  dockerfileText?: string;
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  /** `--label`: added to the result's config. */
  labels?: Readonly<Record<string, string>>;
  /** The platform to build for (default: this machine's). */
  platform?: string;
  /** Ask the registry for every base image even when the store has it. */
  pull?: boolean;
  /** RUN's network when a RUN does not say (default: host). */
  network?: NetworkMode;
  /** `crun`, `runc` or `chroot` (default: the first that works here). */
  runtime?: string;
  /** Secrets by id for `RUN --mount=type=secret` (`--secret`); read only by the RUNs that mount them. */
  secrets?: ReadonlyMap<string, Secret>;
  compression?: Compression;
  /** SOURCE_DATE_EPOCH: the image's and history's `created`, and the clamp of file mtimes. */
  sourceDateEpoch?: number;
  /** Rebuild every step (`--no-cache`). */
  noCache?: boolean;
  /** Rebuild the steps of these stages (names or indexes, `--no-cache-filter`). */
  noCacheFilter?: readonly string[];
  /** Say for every rebuilt step why the cache could not serve it (`--explain`). */
  explain?: boolean;
  /** Caches to import before building (`--cache-from`). */
  cacheFrom?: readonly CacheSpec[];
  /** Where to export this build's cache (`--cache-to`). */
  cacheTo?: readonly CacheSpec[];
  onEvent?: BuildEventListener;
}

export interface BuildResult {
  /** The image manifest, stored (not tagged). */
  manifest: Descriptor;
  config: Descriptor;
  image: ImageConfig;
  /** The platform built for. */
  platform: string;
  /** Every step as it was keyed, with whether the cache served it. */
  steps: StepRecord[];
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const vertices = new Vertices(options.onEvent ?? (() => {}));
  const dockerfile = options.dockerfile ?? join(options.contextDir, 'Dockerfile');
  const graph = await vertices.run('[internal] load build definition from Dockerfile', async () => {
    const text = options.dockerfileText ?? (await readDockerfile(dockerfile));
    return buildGraph(parseDockerfile(text, { file: dockerfile }), {
      ...(options.target !== undefined ? { target: options.target } : {}),
      ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
      ...(options.platform !== undefined ? { platform: options.platform } : {}),
    });
  });
  for (const w of graph.warnings) vertices.warn(w.message, w.at ? `${w.at.file}:${w.at.line}` : undefined);
  const context = await vertices.run('[internal] load .dockerignore', () => openContext(options.contextDir, dockerfile));
  if (graph.buildOrder.some((i) => graph.stages[i]!.steps.some((s) => FILESYSTEM_STEPS.has(s.instruction.kind)))) {
    await vertices.run('[internal] load executor', (vertex) => describeExecutor(options, vertex));
  }

  const created = new Date((options.sourceDateEpoch ?? Math.floor(Date.now() / 1000)) * 1000).toISOString();
  const solver = new Solver(options, graph, vertices, created);
  const { store } = options;
  const platform = formatPlatform(graph.platform);
  const dockerfilePath = resolve(dockerfile);
  for (const spec of options.cacheFrom ?? []) {
    await vertices.run(`[internal] importing cache from ${describeCache(spec)}`, async (vertex) => {
      const added = await importCache(store, spec, (m) => vertices.warn(m));
      vertex.status('records', `${added} cache records`, true);
    });
  }
  const statCache = await loadStatCache(store, context.root);
  const index = new CacheIndex(store);
  const noCacheFilter = (options.noCacheFilter ?? []).map((f) => f.toLowerCase());
  const previous = options.explain ? await previousBuild(store, dockerfilePath, platform) : undefined;
  const steps: StepRecord[] = [];
  const env: StageEnvironment = {
    store,
    file: graph.file,
    context,
    vertices,
    run: { network: options.network ?? 'host', ...(options.runtime !== undefined ? { runtime: options.runtime } : {}), ...(options.secrets ? { secrets: options.secrets } : {}) },
    commit: {
      ...(options.compression !== undefined ? { compression: options.compression } : {}),
      ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
    },
    cache: {
      usable: (name, i) => !options.noCache && !noCacheFilter.includes(name ?? '') && !noCacheFilter.includes(String(i)),
      get: (key) => index.get(key),
      put: (record) => index.put(record),
    },
    statCache,
    fixedCreated: options.sourceDateEpoch !== undefined,
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
    cancelled: () => solver.failed,
  };
  const target = await solver.all(env);
  const result = await vertices.run('exporting to image', (vertex) => writeImage(options, target, created, vertex));
  for (const spec of options.cacheTo ?? []) {
    await vertices.run(`exporting cache to ${describeCache(spec)}`, async (vertex) => {
      const records = await exportedRecords(index, graph, steps, spec.mode);
      const exported = await exportCache(store, spec, records);
      vertex.status('records', `${exported.records} records, ${exported.layers} layers, manifest ${exported.manifest.digest}`, true);
    });
  }
  await saveStatCache(store, context.root, statCache);
  await saveBuild(store, { version: 1, dockerfile: dockerfilePath, target: graph.stages[graph.target]!.id, platform, time: new Date().toISOString(), steps });
  return { ...result, steps };
}

const FILESYSTEM_STEPS = new Set(['run', 'copy', 'add', 'workdir']);

function describeCache(spec: CacheSpec): string {
  return spec.type === 'registry' ? spec.ref : spec.dir;
}

/**
 * The records a cache export carries: `max`, every filesystem step of the build; `min`, those of
 * the target stage and the stages it is built FROM (the layers of the image itself).
 */
async function exportedRecords(index: CacheIndex, graph: BuildGraph, steps: readonly StepRecord[], mode: CacheMode): Promise<CacheRecord[]> {
  const stages = new Set<string>();
  for (let i: number | undefined = graph.target; i !== undefined; ) {
    const stage: Stage = graph.stages[i]!;
    stages.add(stage.id);
    i = stage.base.kind === 'stage' ? stage.base.stage : undefined;
  }
  const out = new Map<string, CacheRecord>();
  for (const step of steps) {
    if (step.files === undefined || out.has(step.key) || (mode === 'min' && !stages.has(step.stage))) continue;
    const record = await index.read(step.key);
    if (record) out.set(step.key, record);
  }
  return [...out.values()];
}

/** Which runtime and snapshotter RUN steps will use, said once per build (not fatal: a cached build needs neither). */
async function describeExecutor(options: BuildOptions, vertex: Vertex): Promise<void> {
  const notes: string[] = [];
  const runtime = await selectRuntime(options.runtime, (line) => notes.push(line)).then(
    (r) => `${r.name} runtime`,
    (err: Error) => `no usable runtime (${err.message})`,
  );
  const snapshotter = await probeSnapshotter(options.store.paths.tmp);
  for (const note of notes) vertex.log('stderr', `${note}\n`);
  vertex.status('executor', `${runtime}, ${snapshotter} snapshotter${snapshotter === 'copy' ? ' (overlayfs cannot be mounted here: slower)' : ''}`, true);
}

async function readDockerfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GraphError(code === 'ENOENT' ? 'no such Dockerfile: give its path with -f' : `cannot read the Dockerfile: ${(err as Error).message}`, { file: path, line: 1, column: 1 });
  }
}

/** The build's shared state: stage results and base images, each computed once. */
class Solver {
  failed = false;
  private readonly stages = new Map<number, Promise<BuiltStage>>();
  private readonly images = new Map<string, Promise<BaseImage>>();

  constructor(
    private readonly options: BuildOptions,
    private readonly graph: BuildGraph,
    private readonly vertices: Vertices,
    private readonly created: string,
  ) {}

  stage(index: number, env: StageEnvironment): Promise<BuiltStage> {
    let promise = this.stages.get(index);
    if (promise === undefined) {
      const stage = this.graph.stages[index]!;
      promise = buildStage(env, stage, stageContext(this.graph, stage, this.created));
      promise.catch(() => {
        this.failed = true;
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

/** Config and manifest of the target stage, written to the store. */
async function writeImage(options: BuildOptions, target: BuiltStage, created: string, vertex: Vertex): Promise<BuildResult> {
  const { state, layers } = target;
  const labels = options.labels && Object.keys(options.labels).length > 0 ? { Labels: { ...state.image.config?.Labels, ...options.labels } } : {};
  // The newest step time: a rebuild served by the cache gives the same config, hence the same digest.
  const newest = options.sourceDateEpoch === undefined ? state.image.history?.findLast((h) => h.created !== undefined)?.created : undefined;
  const image: ImageConfig = {
    ...state.image,
    created: newest ?? created,
    config: { ...state.image.config, ...labels },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  };
  // Layers served by an imported cache are fetched now: the image needs them, nothing else did.
  for (const layer of layers) await ensureBlob(options.store, layer.blob);
  const config = await options.store.putJson(image, MediaType.ociConfig);
  vertex.status('config', `writing image config ${config.digest}`, true);
  const manifest = await options.store.putJson(createManifest(config, layers.map((l) => l.blob)), MediaType.ociManifest);
  vertex.status('manifest', `writing manifest ${manifest.digest}`, true);
  return { manifest, config, image, platform: formatPlatform(target.platform), steps: [] };
}
