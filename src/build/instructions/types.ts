/**
 * The one interface every instruction module implements (kaniko's `pkg/commands` shape): given
 * the state of the stage being built and a typed instruction, say how the image config changes,
 * whether a filesystem change (a layer) is needed and which, what the history records, and what
 * the cache key is made of. Modules are pure: they never touch disk, processes or the network;
 * the solver executes the `LayerRequest`s with `exec/` and `context/`.
 */
import type { Expander, ArgSources } from '../../graph/args.js';
import type { HistoryEntry, ImageConfig } from '../../image/config.js';
import type { Platform } from '../../image/platform.js';
import type { ChmodSpec } from '../../parse/instructions/chmod.js';
import type { FromInstruction, Instruction, Mount, RunNetwork, RunSecurity } from '../../parse/instructions/types.js';

/** Everything a stage's steps share and never change. */
export interface StageContext {
  /** For error positions. */
  file: string;
  expander: Expander;
  escapeToken: '\\' | '`';
  /** The platform the stage builds for (its `--platform`, else the target). */
  platform: Platform;
  /** `--build-arg` values and the global ARG scope, for ARG lines inside the stage. */
  argSources: ArgSources;
  /** Proxy build args: in RUN's environment without an ARG line, never in history (BEHAVIOURS 8). */
  proxyArgs: ReadonlyMap<string, string>;
  /** RFC 3339 time for history entries (SOURCE_DATE_EPOCH or the build's start); absent: none. */
  created?: string;
}

/**
 * The stage as built so far. Replaced, never mutated, so the solver can keep the state of every
 * step (for cache hits and for `FROM stage` children).
 */
export interface StageState {
  /** The config being built, history included. Shell, WORKDIR, USER and ENV live in it. */
  image: ImageConfig;
  /** ARG values in scope and set (never written to the config, BEHAVIOURS 4). */
  args: ReadonlyMap<string, string>;
  /** Every ARG name declared so far (set or not), in order: RUN's history lists them. */
  declaredArgs: readonly string[];
  /** A CMD ran in this stage, so a later ENTRYPOINT keeps it (BEHAVIOURS 22). */
  cmdSet: boolean;
}

/** Instructions that are steps of a stage: FROM starts a stage and is never one. */
export type StepInstruction = Exclude<Instruction, FromInstruction>;
export type StepKind = StepInstruction['kind'];

/** RUN: execute a command in the stage's rootfs and keep the diff. */
export interface RunRequest {
  kind: 'run';
  /** The argv, the shell already prepended for the shell form. */
  args: string[];
  /** `KEY=value`: the config's Env, then ARG values ENV does not shadow, then proxy args. */
  env: string[];
  /** Absolute WORKDIR. */
  cwd: string;
  /** USER as written (`name`, `uid`, `user:group`); "" means root. Resolved by the solver (BEHAVIOURS 31). */
  user: string;
  network: RunNetwork;
  security: RunSecurity;
  /** `--mount`s with every `$` expanded and relative targets made absolute. */
  mounts: Mount[];
  /** Files the command needs to exist (a heredoc script with a `#!` line), read-only. */
  inlineFiles: InlineFileRequest[];
}

export interface InlineFileRequest {
  path: string;
  content: string;
  mode: number;
}

export type CopySourceRequest =
  /** `unpack`: extract it when it is a local tar archive (ADD's default, BEHAVIOURS 17). */
  | { kind: 'path'; path: string; unpack: boolean }
  /** ADD only: downloaded, and not extracted unless `--unpack=true` (BEHAVIOURS 17). */
  | { kind: 'url'; url: string; unpack: boolean }
  /** A heredoc used as a file, content expanded when its marker was not quoted. */
  | { kind: 'heredoc'; name: string; content: string; mode: number };

/** COPY and ADD: put sources from the context (or a stage/image) at `dest`. */
export interface CopyRequest {
  kind: 'copy' | 'add';
  sources: CopySourceRequest[];
  /** Absolute, relative ones resolved against WORKDIR (BEHAVIOURS 13); a trailing `/` is kept. */
  dest: string;
  /** The destination names a directory (written with a trailing `/`, BEHAVIOURS 12). */
  destIsDir: boolean;
  /** `--chown` expanded, not yet resolved against /etc/passwd (BEHAVIOURS 15). */
  chown?: string;
  /** `--chmod` expanded: an octal mode or symbolic clauses applied to each source's own mode. */
  chmod?: ChmodSpec;
  /** `--from` expanded: a stage name or index, or an image (COPY only). */
  from?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD `--checksum`, expanded: the digest the download must have. */
  checksum?: string;
  keepGitDir: boolean;
}

/** WORKDIR: create the directory (and parents) when missing (BEHAVIOURS 19). */
export interface MkdirRequest {
  kind: 'mkdir';
  path: string;
  mode: number;
  /** Owner of what is created: the stage's USER, as BuildKit does. */
  user: string;
}

export type LayerRequest = RunRequest | CopyRequest | MkdirRequest;

/** What a cache key is computed from; the cache module adds content hashes of COPY sources. */
export interface CacheKeyInputs {
  /** The instruction after expansion, as canonical JSON: equal strings mean the same step. */
  instruction: string;
  /** `KEY=value` the step can see, sorted (RUN: exactly its environment). */
  env: string[];
}

/** What one module returns for one instruction. */
export interface Effect {
  /** The next state, without the history entry (the dispatcher appends it). */
  state: StageState;
  /** `none`: metadata only; the history entry then says `empty_layer`. */
  layer: LayerRequest | 'none';
  /** `created_by` as BuildKit writes it; undefined when BuildKit records no history (ONBUILD). */
  createdBy: string | undefined;
  cacheKey: CacheKeyInputs;
}

/** One instruction kind: the whole behaviour of e.g. WORKDIR lives behind this. */
export interface InstructionModule<I extends StepInstruction = StepInstruction> {
  kind: I['kind'];
  apply(state: StageState, instruction: I, ctx: StageContext): Effect;
}

/** What the dispatcher returns: the effect with the history entry it appended. */
export interface StepOutcome extends Effect {
  history: HistoryEntry | undefined;
}
