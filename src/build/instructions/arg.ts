/**
 * ARG inside a stage: declares names and gives values (a --build-arg, else the default expanded
 * with what the line can see, base image ENV included, else the global value, BEHAVIOURS 1–2).
 * Nothing reaches the config (BEHAVIOURS 4), but BuildKit does record a history entry.
 */
import { defaultWord, mergeEnv, stageArgValue } from '../../graph/args.js';
import type { ArgInstruction } from '../../parse/instructions/types.js';
import { configEnv, expandWord, metaKey, metadata } from './state.js';
import type { InstructionModule } from './types.js';

export const arg: InstructionModule<ArgInstruction> = {
  kind: 'arg',
  apply(state, ins, ctx) {
    const args = new Map(state.args);
    const declared = [...state.declaredArgs];
    const shown: string[] = [];
    const values: [string, string | null][] = [];
    for (const decl of ins.args) {
      const env = mergeEnv(args, configEnv(state));
      const value = stageArgValue(decl, ctx.argSources, () => expandWord(ctx, defaultWord(decl), env));
      if (value !== undefined) args.set(decl.name, value);
      if (!declared.includes(decl.name)) declared.push(decl.name);
      shown.push(value === undefined ? decl.name : `${decl.name}=${value}`);
      values.push([decl.name, value ?? null]);
    }
    const next = { ...state, args, declaredArgs: declared };
    return metadata(next, `ARG ${shown.join(' ')}`, metaKey('ARG', values, state));
  },
};
