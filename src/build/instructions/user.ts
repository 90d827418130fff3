/**
 * USER: the config's `User`, expanded. Names are resolved only when a RUN or COPY needs ids
 * (BEHAVIOURS 31), so a numeric USER need not exist.
 */
import type { UserInstruction } from '../../parse/instructions/types.js';
import { expandWord, metaKey, metadata, scope, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const user: InstructionModule<UserInstruction> = {
  kind: 'user',
  apply(state, ins, ctx) {
    const value = expandWord(ctx, ins.user, scope(state));
    return metadata(withConfig(state, { User: value }), `USER ${value}`, metaKey('USER', value, state));
  },
};
