/** LABEL: expanded pairs added to the labels inherited from the base (BEHAVIOURS 27). */
import type { LabelInstruction } from '../../parse/instructions/types.js';
import { configOf, expandWord, metaKey, metadata, scope, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const label: InstructionModule<LabelInstruction> = {
  kind: 'label',
  apply(state, ins, ctx) {
    const env = scope(state);
    const labels = { ...(configOf(state).Labels ?? {}) };
    const pairs: [string, string][] = [];
    for (const { key, value } of ins.pairs) {
      // BuildKit expands LABEL keys as well as values.
      const k = expandWord(ctx, key, env);
      const v = expandWord(ctx, value, env);
      labels[k] = v;
      pairs.push([k, v]);
    }
    const createdBy = `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    return metadata(withConfig(state, { Labels: labels }), createdBy, metaKey('LABEL', pairs, state));
  },
};
