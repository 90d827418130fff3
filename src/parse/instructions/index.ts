/**
 * Raw nodes → typed instructions, one module per kind (as BuildKit's `instructions.Parse` and
 * kaniko's `pkg/commands`). Nothing is expanded here: that needs the ARG scopes of `graph/`.
 */
import type { Dockerfile, Node } from '../ast.js';
import { fail, type ParseContext } from './common.js';
import { parseAdd, parseCopy } from './copy.js';
import { parseArg } from './arg.js';
import { parseCmd } from './cmd.js';
import { parseEntrypoint } from './entrypoint.js';
import { parseEnv } from './env.js';
import { parseExpose } from './expose.js';
import { parseFrom } from './from.js';
import { parseHealthcheck } from './healthcheck.js';
import { parseLabel } from './label.js';
import { parseMaintainer } from './maintainer.js';
import { parseOnbuild } from './onbuild.js';
import { parseRun } from './run.js';
import { parseShell } from './shell.js';
import { parseStopsignal } from './stopsignal.js';
import { didYouMean } from './suggest.js';
import type { Instruction, InstructionKind } from './types.js';
import { parseUser } from './user.js';
import { parseVolume } from './volume.js';
import { parseWorkdir } from './workdir.js';

export type * from './types.js';
export { parsePortSpec, portKeys, type PortSpec, type PortProtocol } from './expose.js';
export { parseChmod } from './copy.js';
export { parseMount, splitCsv, parseSize, MountSpecError, type WordExpander } from './mount.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export { STAGE_NAME } from './from.js';
export { suggest, didYouMean, editDistance } from './suggest.js';
export { parseFlags, ParsedFlags, type FlagKind, type FlagRules } from './flags.js';

const PARSERS: Readonly<Record<InstructionKind, (ctx: ParseContext) => Instruction>> = {
  from: parseFrom,
  run: parseRun,
  copy: parseCopy,
  add: parseAdd,
  env: parseEnv,
  label: parseLabel,
  arg: parseArg,
  expose: parseExpose,
  cmd: parseCmd,
  entrypoint: parseEntrypoint,
  shell: parseShell,
  healthcheck: parseHealthcheck,
  user: parseUser,
  workdir: parseWorkdir,
  volume: parseVolume,
  stopsignal: parseStopsignal,
  maintainer: parseMaintainer,
  onbuild: (ctx) => parseOnbuild(ctx, parseInstruction),
};

/** Every instruction keyword Docker knows, upper case. */
export const INSTRUCTION_NAMES: readonly string[] = Object.keys(PARSERS).map((k) => k.toUpperCase());

function isKind(name: string): name is InstructionKind {
  return Object.prototype.hasOwnProperty.call(PARSERS, name);
}

function parseInstruction(ctx: ParseContext): Instruction {
  const { node } = ctx;
  if (!isKind(node.name)) {
    fail(ctx, node.range.start, `unknown instruction: ${node.keyword.toUpperCase()}${didYouMean(node.name, INSTRUCTION_NAMES)}`);
  }
  return PARSERS[node.name](ctx);
}

/** Checks one node and returns its typed instruction; throws ParseError at the offending token. */
export function toInstruction(node: Node, file: string): Instruction {
  return parseInstruction({ node, file });
}

/** All nodes of a parsed Dockerfile, in order; stops at the first error. */
export function toInstructions(dockerfile: Dockerfile): Instruction[] {
  return dockerfile.nodes.map((n) => toInstruction(n, dockerfile.file));
}
