/** Splits the instruction list into the global ARGs and the stages each FROM starts. */
import { GraphError } from '../errors.js';
import type { ArgInstruction, FromInstruction, Instruction } from '../parse/instructions/index.js';

export interface StageDraft {
  index: number;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Split {
  globalArgs: ArgInstruction[];
  stages: StageDraft[];
}

export function splitStages(instructions: readonly Instruction[], file: string): Split {
  const globalArgs: ArgInstruction[] = [];
  const stages: StageDraft[] = [];
  for (const ins of instructions) {
    if (ins.kind === 'from') {
      stages.push({ index: stages.length, from: ins, instructions: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (current) {
      current.instructions.push(ins);
      continue;
    }
    if (ins.kind === 'arg') {
      globalArgs.push(ins);
      continue;
    }
    const { line, column } = ins.range.start;
    throw new GraphError(
      `${ins.node.keyword.toUpperCase()} cannot come before the first FROM: only ARG instructions may precede FROM`,
      { file, line, column },
    );
  }
  if (stages.length === 0) {
    const at = instructions[0]?.range.start ?? { line: 1, column: 1 };
    throw new GraphError('the Dockerfile has no FROM instruction, so there is no stage to build: start a stage with FROM <image>', {
      file,
      ...at,
    });
  }
  return { globalArgs, stages };
}

/** Stage names must be unique; `scratch` would make `FROM scratch` ambiguous. */
export function checkStageNames(stages: readonly StageDraft[], file: string): void {
  const seen = new Map<string, StageDraft>();
  for (const s of stages) {
    const name = s.from.stageName;
    const word = s.from.stageNameWord;
    if (name === undefined || word === undefined) continue;
    const at = { file, ...word.range.start };
    if (name === 'scratch') {
      throw new GraphError('"scratch" cannot be a stage name: it is reserved for the empty base image; pick another name', at);
    }
    const prev = seen.get(name);
    if (prev) {
      throw new GraphError(
        `duplicate stage name "${word.value}": the stage at line ${prev.from.range.start.line} already uses it; stage names must be unique`,
        at,
      );
    }
    seen.set(name, s);
  }
}
