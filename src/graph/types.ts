import type { SourcePosition } from '../errors.js';
import type { ArgInstruction, FromInstruction, Instruction } from '../parse/instructions/index.js';
import type { Platform } from '../image/platform.js';

export interface BuildGraphOptions {
  /** The stage whose image is the result (by name); default: the last stage. */
  target?: string;
  /** `--build-arg NAME=value`. */
  buildArgs?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** The platform to build for (`linux/arm/v7`); default: the host's. */
  platform?: string | Platform;
  /** The platform the build runs on; default: the host's. */
  buildPlatform?: string | Platform;
}

/** What a stage starts from. */
export type BaseRef = { kind: 'scratch' } | { kind: 'stage'; stage: number } | { kind: 'image'; ref: string };

/** `from`: FROM <stage|image>; `copy`: COPY --from; `mount`: RUN --mount=…,from=. */
export type DependencyKind = 'from' | 'copy' | 'mount';

export interface Dependency {
  kind: DependencyKind;
  /** The stage depended on, or absent for an external image. */
  stage?: number;
  /** The image reference (expanded, as written) when it is not a stage. */
  image?: string;
  /** The step of the dependent stage that needs it; absent for FROM. */
  step?: number;
  /** Where the reference is written (the flag or the FROM argument). */
  at: SourcePosition;
}

export interface Step {
  /** Index within the stage's steps (FROM is not a step). */
  index: number;
  instruction: Instruction;
  /** 1-based line of the instruction. */
  line: number;
  /**
   * ARG values visible at this step (declared, in scope and set), expanded; these join the
   * RUN environment but never the image config. Defaults that refer to the base image's own
   * ENV are resolved without it: the builder, which has the image config, re-evaluates those.
   */
  args: ReadonlyMap<string, string>;
}

export interface Stage {
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  /** The name, or `stage-N` for an unnamed stage: a unique label for renderers and logs. */
  id: string;
  from: FromInstruction;
  /** The FROM argument after expansion with the global ARGs. */
  baseName: string;
  base: BaseRef;
  /** The `--platform` after expansion, normalised (`linux/arm/v7`). */
  platform?: string;
  steps: Step[];
  deps: Dependency[];
  /** The target needs this stage; unused stages are kept but not built. */
  used: boolean;
  isTarget: boolean;
}

export interface GraphWarning {
  message: string;
  /** Absent for warnings about the command line (an unused --build-arg). */
  at?: SourcePosition;
}

export interface ExternalImage {
  ref: string;
  /** Every place that needs it. */
  usedBy: { stage: number; kind: DependencyKind; step?: number }[];
}

export interface BuildGraph {
  file: string;
  escapeToken: '\\' | '`';
  stages: Stage[];
  /** Index of the result stage. */
  target: number;
  /** ARG instructions before the first FROM. */
  globalArgs: ArgInstruction[];
  /** The values the global scope ended with (predefined platform ARGs included). */
  globalArgValues: ReadonlyMap<string, string>;
  buildArgs: ReadonlyMap<string, string>;
  /** Proxy build args: in every RUN's environment without an ARG line, never in the history. */
  proxyArgs: ReadonlyMap<string, string>;
  platform: Platform;
  buildPlatform: Platform;
  externalImages: ExternalImage[];
  /** Used stages, each after everything it depends on. */
  buildOrder: number[];
  warnings: GraphWarning[];
}
