/**
 * The image config (OCI image-spec `config.json`, with Docker's extensions BuildKit also
 * writes: Healthcheck, OnBuild, Shell, ArgsEscaped). Fields Docker writes as `null` read as
 * absent; fields neither spec defines are dropped, as BuildKit drops them when it builds on an image.
 */
import type { Digest } from './digest.js';
import { ImageError } from './errors.js';
import type { ImageManifest } from './manifest.js';
import { readPlatform } from './manifest.js';
import { normalizePlatform, type Platform } from './platform.js';
import { Checker, present, type JsonObject } from './validate.js';

/** Durations are nanoseconds, as Go's time.Duration marshals them. */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", arg…]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime defaults of containers made from the image. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[];
  ArgsEscaped?: boolean;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True for steps that changed only the config (ENV, CMD…) and made no layer. */
  empty_layer?: boolean;
}

export interface RootFs {
  type: 'layers';
  /** Digests of the uncompressed layer tars, bottom first. */
  diff_ids: Digest[];
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFs;
  history?: HistoryEntry[];
}

export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  const c = new Checker('image config');
  const doc = c.object(c.parse(bytes), '');
  const platform = readPlatform(c, doc, '');
  const rootfs = c.object(doc.rootfs, 'rootfs');
  if (rootfs.type !== 'layers') c.fail('rootfs.type', `must be "layers", not ${JSON.stringify(rootfs.type ?? null)}`);
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    rootfs: { type: 'layers', diff_ids: present(rootfs.diff_ids) ? c.array(rootfs.diff_ids, 'rootfs.diff_ids').map((d, i) => c.digest(d, `rootfs.diff_ids[${i}]`)) : [] },
  };
  if (platform.variant !== undefined) config.variant = platform.variant;
  if (platform['os.version'] !== undefined) config['os.version'] = platform['os.version'];
  if (platform['os.features'] !== undefined) config['os.features'] = platform['os.features'];
  if (present(doc.created)) config.created = c.string(doc.created, 'created');
  if (present(doc.author)) config.author = c.string(doc.author, 'author');
  if (present(doc.config)) config.config = readContainerConfig(c, c.object(doc.config, 'config'));
  if (present(doc.history)) config.history = c.array(doc.history, 'history').map((h, i) => readHistory(c, c.object(h, `history[${i}]`), `history[${i}]`));
  return config;
}

function readContainerConfig(c: Checker, o: JsonObject): ContainerConfig {
  const out: ContainerConfig = {};
  const p = (k: string): string => `config.${k}`;
  if (present(o.User)) out.User = c.string(o.User, p('User'));
  if (present(o.ExposedPorts)) out.ExposedPorts = c.set(o.ExposedPorts, p('ExposedPorts'));
  if (present(o.Env)) out.Env = c.strings(o.Env, p('Env'));
  if (present(o.Entrypoint)) out.Entrypoint = c.strings(o.Entrypoint, p('Entrypoint'));
  if (present(o.Cmd)) out.Cmd = c.strings(o.Cmd, p('Cmd'));
  if (present(o.Volumes)) out.Volumes = c.set(o.Volumes, p('Volumes'));
  if (present(o.WorkingDir)) out.WorkingDir = c.string(o.WorkingDir, p('WorkingDir'));
  if (present(o.Labels)) out.Labels = c.stringMap(o.Labels, p('Labels'));
  if (present(o.StopSignal)) out.StopSignal = c.string(o.StopSignal, p('StopSignal'));
  if (present(o.Healthcheck)) out.Healthcheck = readHealth(c, c.object(o.Healthcheck, p('Healthcheck')));
  if (present(o.Shell)) out.Shell = c.strings(o.Shell, p('Shell'));
  if (present(o.OnBuild)) out.OnBuild = c.strings(o.OnBuild, p('OnBuild'));
  if (present(o.ArgsEscaped)) out.ArgsEscaped = c.boolean(o.ArgsEscaped, p('ArgsEscaped'));
  return out;
}

function readHealth(c: Checker, o: JsonObject): HealthConfig {
  const out: HealthConfig = {};
  const p = (k: string): string => `config.Healthcheck.${k}`;
  if (present(o.Test)) out.Test = c.strings(o.Test, p('Test'));
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (present(o[key])) out[key] = c.integer(o[key], p(key), 0);
  }
  return out;
}

function readHistory(c: Checker, o: JsonObject, path: string): HistoryEntry {
  const out: HistoryEntry = {};
  for (const key of ['created', 'created_by', 'author', 'comment'] as const) {
    if (present(o[key])) out[key] = c.string(o[key], `${path}.${key}`);
  }
  if (present(o.empty_layer)) out.empty_layer = c.boolean(o.empty_layer, `${path}.empty_layer`);
  return out;
}

/** The platform an image config declares, normalised. */
export function configPlatform(config: ImageConfig): Platform {
  return normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
}

/** The config of an image with no layers yet (FROM scratch) for a platform. */
export function createImageConfig(platform: Platform): ImageConfig {
  const p = normalizePlatform(platform);
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/**
 * Checks a manifest and its config describe the same layers: one diff ID per layer, and (when
 * there is a history) one non-empty history entry per layer.
 */
export function checkImage(manifest: ImageManifest, config: ImageConfig): void {
  const layers = manifest.layers.length;
  const diffIds = config.rootfs.diff_ids.length;
  if (layers !== diffIds) throw new ImageError(`the manifest lists ${layers} layer(s) but the config's rootfs has ${diffIds} diff ID(s)`);
  if (config.history && config.history.length > 0) {
    const made = config.history.filter((h) => !h.empty_layer).length;
    if (made !== layers) throw new ImageError(`the config's history has ${made} step(s) that made a layer but the image has ${layers} layer(s)`);
  }
}
