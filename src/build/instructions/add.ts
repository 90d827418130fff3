/** ADD: COPY plus URLs and local archive extraction; the shared logic lives in copy.ts. */
import type { AddInstruction } from '../../parse/instructions/types.js';
import { copyOrAdd } from './copy.js';
import type { InstructionModule } from './types.js';

export const add: InstructionModule<AddInstruction> = { kind: 'add', apply: copyOrAdd };
