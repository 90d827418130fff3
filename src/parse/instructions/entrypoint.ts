import type { ParseContext } from './common.js';
import { parseCommandInstruction } from './command.js';
import type { EntrypointInstruction } from './types.js';

/** ENTRYPOINT: the executable the container runs; setting it resets an inherited CMD (the builder's job). */
export function parseEntrypoint(ctx: ParseContext): EntrypointInstruction {
  return parseCommandInstruction(ctx, 'entrypoint');
}
