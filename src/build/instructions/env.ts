/** ENV: set variables in the config; every pair sees the values from before the line (BEHAVIOURS 5). */
import type { EnvInstruction } from '../../parse/instructions/types.js';
import { configOf, expandWord, metaKey, metadata, scope, setEnv, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const env: InstructionModule<EnvInstruction> = {
  kind: 'env',
  apply(state, ins, ctx) {
    const before = scope(state);
    let list = configOf(state).Env ?? [];
    const pairs: [string, string][] = [];
    for (const { key, value } of ins.pairs) {
      // BuildKit expands keys too, with the same pre-line values.
      const k = expandWord(ctx, key, before);
      const v = expandWord(ctx, value, before);
      pairs.push([k, v]);
      list = setEnv(list, k, v);
    }
    const createdBy = `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    return metadata(withConfig(state, { Env: list }), createdBy, metaKey('ENV', pairs, state));
  },
};
