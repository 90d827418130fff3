/** SHELL: the shell later shell-form RUN/CMD/ENTRYPOINT use (BEHAVIOURS 21); JSON only, unexpanded. */
import type { ShellInstruction } from '../../parse/instructions/types.js';
import { goList } from './format.js';
import { metaKey, metadata, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const shell: InstructionModule<ShellInstruction> = {
  kind: 'shell',
  apply(state, ins) {
    const next = withConfig(state, { Shell: [...ins.shell] });
    return metadata(next, `SHELL ${goList(ins.shell)}`, metaKey('SHELL', ins.shell, state));
  },
};
