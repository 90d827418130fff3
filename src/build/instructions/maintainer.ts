/** MAINTAINER (deprecated): sets the config's top-level `author` (BEHAVIOURS 28), unexpanded as in BuildKit. */
import type { MaintainerInstruction } from '../../parse/instructions/types.js';
import { metaKey, metadata, withImage } from './state.js';
import type { InstructionModule } from './types.js';

export const maintainer: InstructionModule<MaintainerInstruction> = {
  kind: 'maintainer',
  apply(state, ins) {
    const next = withImage(state, { author: ins.maintainer });
    return metadata(next, `MAINTAINER ${ins.maintainer}`, metaKey('MAINTAINER', ins.maintainer, state));
  },
};
