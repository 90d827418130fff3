/**
 * Typed, validated instructions: what a raw `Node` means once its keyword, flags and argument
 * count have been checked. Words are still unexpanded: expansion needs the ARG scope of the
 * stage, which only the graph knows.
 */
import type { Argument, Heredoc, Node, Range } from '../ast.js';

/** One argument as written, with where it is (for errors raised after expansion). */
export type Word = Argument;

interface Base {
  /** The raw node: `original`, `comments`, flags as written, ranges. */
  node: Node;
  range: Range;
}

/**
 * A heredoc used as a file (COPY/ADD source) or as a script (RUN): the parser's Heredoc with
 * the body ready to use (leading tabs already removed for `<<-`).
 */
export type InlineFile = Heredoc;

export interface FromInstruction extends Base {
  kind: 'from';
  image: Word;
  /** Lower-cased, as BuildKit matches names. */
  stageName?: string;
  /** The name as written, for messages and the casing lint. */
  stageNameWord?: Word;
  /** The `AS` keyword as written (for the casing lint). */
  asWord?: Word;
  platform?: Word;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type MountSharing = 'shared' | 'private' | 'locked';

export interface Mount {
  type: MountType;
  /** Absent or relative: relative to the WORKDIR, as in BuildKit. */
  target?: string;
  source?: string;
  from?: string;
  readonly: boolean;
  id?: string;
  sharing?: MountSharing;
  mode?: number;
  uid?: number;
  gid?: number;
  required?: boolean;
  /** Secret mounts: expose the secret as this environment variable. */
  env?: string;
  /** tmpfs size limit in bytes. */
  size?: number;
  /**
   * Keys whose value holds a `$` and so could not be checked yet; re-run `parseMount` on
   * `spec` with an expander to get them.
   */
  unexpanded: string[];
  /** The flag value as written (`type=cache,target=/root/.cache`). */
  spec: string;
  range: Range;
}

export type RunNetwork = 'default' | 'none' | 'host';
export type RunSecurity = 'insecure' | 'sandbox';

export interface RunInstruction extends Base {
  kind: 'run';
  /** `exec`: JSON array run as is; `shell`: one command line run by the stage's SHELL. */
  form: 'exec' | 'shell';
  command: string[];
  heredocs: InlineFile[];
  mounts: Mount[];
  network?: RunNetwork;
  security?: RunSecurity;
}

export interface CopySource {
  kind: 'path';
  word: Word;
}
export interface HeredocSource {
  kind: 'heredoc';
  word: Word;
  file: InlineFile;
}

interface CopyLike extends Base {
  sources: (CopySource | HeredocSource)[];
  dest: Word;
  chown?: Word;
  /** As written; `parseChmod` checks it once expanded. */
  chmod?: Word;
  link: boolean;
  exclude: Word[];
}

export interface CopyInstruction extends CopyLike {
  kind: 'copy';
  from?: Word;
  parents: boolean;
}

export interface AddInstruction extends CopyLike {
  kind: 'add';
  checksum?: Word;
  keepGitDir: boolean;
  /** Unset: ADD decides (extract local archives); true/false forces it. */
  unpack?: boolean;
}

export interface KeyValue {
  key: Word;
  /** Unexpanded, quotes as written. */
  value: Word;
}

export interface EnvInstruction extends Base {
  kind: 'env';
  pairs: KeyValue[];
}

export interface LabelInstruction extends Base {
  kind: 'label';
  pairs: KeyValue[];
}

export interface ArgDeclaration {
  name: string;
  /** Unexpanded default (quotes as written); undefined for `ARG NAME`. */
  default?: string;
  word: Word;
}

export interface ArgInstruction extends Base {
  kind: 'arg';
  args: ArgDeclaration[];
}

export interface ExposeInstruction extends Base {
  kind: 'expose';
  /** Unexpanded; `parsePortSpec` reads each once expanded. */
  ports: Word[];
}

export interface CmdInstruction extends Base {
  kind: 'cmd';
  form: 'exec' | 'shell';
  command: string[];
}

export interface EntrypointInstruction extends Base {
  kind: 'entrypoint';
  form: 'exec' | 'shell';
  command: string[];
}

export interface ShellInstruction extends Base {
  kind: 'shell';
  shell: string[];
}

export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  /** `['NONE']`, `['CMD', ...argv]` or `['CMD-SHELL', line]`, as the image config stores it. */
  test: string[];
  /** Nanoseconds; absent means Docker's default. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface UserInstruction extends Base {
  kind: 'user';
  user: Word;
}

export interface WorkdirInstruction extends Base {
  kind: 'workdir';
  path: Word;
}

export interface VolumeInstruction extends Base {
  kind: 'volume';
  volumes: Word[];
}

export interface StopsignalInstruction extends Base {
  kind: 'stopsignal';
  signal: Word;
}

export interface MaintainerInstruction extends Base {
  kind: 'maintainer';
  maintainer: string;
}

export interface OnbuildInstruction extends Base {
  kind: 'onbuild';
  /** The trigger, checked like any instruction. */
  trigger: Instruction;
  /** The trigger's text as the image config stores it (`RUN echo hi`). */
  expression: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | ExposeInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | HealthcheckInstruction
  | UserInstruction
  | WorkdirInstruction
  | VolumeInstruction
  | StopsignalInstruction
  | MaintainerInstruction
  | OnbuildInstruction;

export type InstructionKind = Instruction['kind'];
