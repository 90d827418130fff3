/**
 * hull's library API: what the CLI uses and what other tools may import.
 */
import { readFile } from 'node:fs/promises';
import { buildGraph, type BuildGraph, type BuildGraphOptions } from './graph/index.js';
import type { Dockerfile } from './parse/ast.js';
import { parseDockerfile, type ParseOptions } from './parse/parser.js';

export * from './errors.js';
export type * from './parse/ast.js';
export { parseDockerfile, type ParseOptions } from './parse/parser.js';
export { dumpDockerfile } from './parse/dump.js';
export { toInstructions, type Instruction } from './parse/instructions/index.js';
export { ShellLex, ShellExpansionError, type ShellEnv } from './parse/shell/lex.js';
export * from './graph/index.js';
export * from './image/index.js';
export * from './store/index.js';
export {
  writeLayer,
  compressLayer,
  tarDirectory,
  extractLayer,
  normalizeTar,
  decompress,
  listChanges,
  type LayerBlob,
  type WriteLayerOptions,
  type ExtractOptions,
} from './layer/index.js';
export { importRootfs, type ImportOptions, type ImportResult } from './store/import.js';

/** Reads and parses a Dockerfile; errors name `path`. */
export async function parseFile(path: string, options: ParseOptions = {}): Promise<Dockerfile> {
  return parseDockerfile(await readFile(path, 'utf8'), { file: path, ...options });
}

/** Parses a Dockerfile and builds its instruction graph. */
export async function graphFile(path: string, options: BuildGraphOptions = {}): Promise<BuildGraph> {
  return buildGraph(await parseFile(path), options);
}

// The registry: push and pull through a RegistryClient's sessions (appended: registry API).
export { push, type PushOptions, type PushResult, type PushTarget, type PushProgress, type ManifestProgress, type BlobProgress, type BlobOutcome, type BlobState } from './registry/push.js';
export { pull, type PullOptions, type PullResult, type PullEvent } from './registry/pull.js';
export { openRepository, RegistryClient, type ClientOptions } from './registry/client.js';
export type { RepositorySession, SessionRequest, SessionResponse, Access } from './registry/session.js';
export type { RetryPolicy } from './registry/transport.js';
