/**
 * `build`: Dockerfile → instruction graph per platform → stages (independent ones, and the
 * platforms, at the same time) → an image per platform, and an index over them when several, in
 * the store. The caller tags, exports or pushes the result (cli/commands/build.ts).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { saveBuild, type StepRecord } from '../cache/build-records.js';
import { CacheIndex, type CacheRecord } from '../cache/records.js';
import type { CacheMode, CacheSpec } from '../cache/spec.js';
import { loadStatCache, saveStatCache } from '../cache/stat-store.js';
import { exportCache, importCache } from '../cache/transfer.js';
import { openContext } from '../context/context.js';
import { GraphError } from '../errors.js';
import type { NetworkMode } from '../exec/bundle.js';
import { probeSnapshotter } from '../exec/rootfs.js';
import { selectRuntime } from '../exec/runtime.js';
import type { Stage } from '../graph/types.js';
import type { ImageConfig } from '../image/config.js';
import type { Descriptor } from '../image/manifest.js';
import type { Compression } from '../image/mediatypes.js';
import { formatPlatform, normalizePlatform, parsePlatform } from '../image/platform.js';
import { parseDockerfile } from '../parse/parser.js';
import type { Store } from '../store/store.js';
import type { BuildEventListener } from './events.js';
import { writeImage, writeIndex, type ImageFormat, type WrittenImage } from './image-writer.js';
import { buildPlatform, platformGraph, type PlatformBuild, type SharedBuild } from './platform-build.js';
import type { Secret } from './secrets.js';
import { BuildCancelled } from './stage.js';
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
  /** The platforms to build for, one image each and an index over them when several (default: this machine's). */
  platforms?: readonly string[];
  /** `oci` (default): OCI manifests and index; `docker`: Docker schema 2 and a manifest list. */
  format?: ImageFormat;
  /** Ask the registry for every base image even when the store has it. */
  pull?: boolean;
  /** RUN's network when a RUN does not say (default: host). */
  network?: NetworkMode;
  /** `crun`, `runc` or `chroot` (default: the first that works here). */
  runtime?: string;
  /** Secrets by id for `RUN --mount=type=secret` (`--secret`); read only by the RUNs that mount them. */
  secrets?: ReadonlyMap<string, Secret>;
  /** How layers are compressed (default gzip). */
  compression?: Compression;
  /** The compressor's level: gzip 1–9 (default 1), zstd 1–19 (default 3). */
  compressionLevel?: number;
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
  /** What to tag: the image manifest, or the index over the platforms' manifests. */
  manifest: Descriptor;
  /** The first (for one platform, the only) image's config. */
  config: Descriptor;
  image: ImageConfig;
  /** The platform of `config`. */
  platform: string;
  /** Every platform's image, in the order asked. */
  images: WrittenImage[];
  /** Every step as it was keyed, with whether the cache served it (all platforms). */
  steps: StepRecord[];
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const vertices = new Vertices(options.onEvent ?? (() => {}));
  const { store } = options;
  const file = options.dockerfile ?? join(options.contextDir, 'Dockerfile');
  const platforms = options.platforms && options.platforms.length > 0 ? [...new Set(options.platforms.map((p) => formatPlatform(normalizePlatform(parsePlatform(p)))))] : [undefined];
  const dockerfile = await vertices.run('[internal] load build definition from Dockerfile', async () =>
    parseDockerfile(options.dockerfileText ?? (await readDockerfile(file)), { file }),
  );
  const context = await vertices.run('[internal] load .dockerignore', () => openContext(options.contextDir, file));
  const shared: SharedBuild = {
    options,
    dockerfile,
    dockerfilePath: resolve(file),
    context,
    vertices,
    statCache: await loadStatCache(store, context.root),
    index: new CacheIndex(store),
    created: new Date((options.sourceDateEpoch ?? Math.floor(Date.now() / 1000)) * 1000).toISOString(),
    failed: { value: false },
  };
  // Every platform's graph first: a Dockerfile error stops the build before anything runs.
  const graphs = platforms.map((p) => platformGraph(shared, p));
  for (const w of graphs[0]!.warnings) vertices.warn(w.message, w.at ? `${w.at.file}:${w.at.line}` : undefined);
  if (graphs.some((g) => g.buildOrder.some((i) => g.stages[i]!.steps.some((s) => FILESYSTEM_STEPS.has(s.instruction.kind))))) {
    await vertices.run('[internal] load executor', (vertex) => describeExecutor(options, vertex));
  }
  for (const spec of options.cacheFrom ?? []) {
    await vertices.run(`[internal] importing cache from ${describeCache(spec)}`, async (vertex) => {
      const added = await importCache(store, spec, (m) => vertices.warn(m));
      vertex.status('records', `${added} cache records`, true);
    });
  }

  const multi = graphs.length > 1;
  const settled = await Promise.allSettled(graphs.map((g) => buildPlatform(shared, g, multi ? `${formatPlatform(g.platform)} ` : '')));
  const failure = settled.find((s) => s.status === 'rejected' && !(s.reason instanceof BuildCancelled)) ?? settled.find((s) => s.status === 'rejected');
  if (failure?.status === 'rejected') throw failure.reason;
  const built = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

  const format = options.format ?? 'oci';
  const written = await vertices.run('exporting to image', async (vertex) => {
    const images: WrittenImage[] = [];
    for (const b of built) images.push(await writeImage(store, b.target, shared.created, { labels: options.labels, fixedCreated: options.sourceDateEpoch !== undefined, format }, vertex));
    const top = multi ? await writeIndex(store, built.map((b, i) => ({ manifest: images[i]!.manifest, platform: b.target.platform })), format, vertex) : images[0]!.manifest;
    return { images, top };
  });
  const steps = built.flatMap((b) => b.steps);
  for (const spec of options.cacheTo ?? []) {
    await vertices.run(`exporting cache to ${describeCache(spec)}`, async (vertex) => {
      const records = await exportedRecords(shared.index, built, spec.mode);
      const exported = await exportCache(store, spec, records);
      vertex.status('records', `${exported.records} records, ${exported.layers} layers, manifest ${exported.manifest.digest}`, true);
    });
  }
  await saveStatCache(store, context.root, shared.statCache);
  for (const b of built) {
    await saveBuild(store, { version: 1, dockerfile: shared.dockerfilePath, target: b.graph.stages[b.graph.target]!.id, platform: b.platform, time: new Date().toISOString(), steps: b.steps });
  }
  const first = written.images[0]!;
  return { manifest: written.top, config: first.config, image: first.image, platform: first.platform, images: written.images, steps };
}

const FILESYSTEM_STEPS = new Set(['run', 'copy', 'add', 'workdir']);

function describeCache(spec: CacheSpec): string {
  return spec.type === 'registry' ? spec.ref : spec.dir;
}

/**
 * The records a cache export carries: `max`, every filesystem step of the build; `min`, those of
 * each platform's target stage and the stages it is built FROM (the layers of the images).
 */
async function exportedRecords(index: CacheIndex, built: readonly PlatformBuild[], mode: CacheMode): Promise<CacheRecord[]> {
  const out = new Map<string, CacheRecord>();
  for (const { graph, steps } of built) {
    const stages = new Set<string>();
    for (let i: number | undefined = graph.target; i !== undefined; ) {
      const stage: Stage = graph.stages[i]!;
      stages.add(stage.id);
      i = stage.base.kind === 'stage' ? stage.base.stage : undefined;
    }
    for (const step of steps) {
      if (step.files === undefined || out.has(step.key) || (mode === 'min' && !stages.has(step.stage))) continue;
      const record = await index.read(step.key);
      if (record) out.set(step.key, record);
    }
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
