/**
 * ONBUILD: the trigger's text joins the config's OnBuild list, to run after the FROM of a build
 * that uses this image (BEHAVIOURS 30). BuildKit writes no history entry for it, so neither do we.
 */
import type { OnbuildInstruction } from '../../parse/instructions/types.js';
import { configOf, metaKey, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const onbuild: InstructionModule<OnbuildInstruction> = {
  kind: 'onbuild',
  apply(state, ins) {
    const next = withConfig(state, { OnBuild: [...(configOf(state).OnBuild ?? []), ins.expression] });
    return { state: next, layer: 'none', createdBy: undefined, cacheKey: metaKey('ONBUILD', ins.expression, state) };
  },
};
