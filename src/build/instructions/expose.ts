/**
 * EXPOSE: each word expanded (and split, as BuildKit does), `80` meaning `80/tcp` and a range
 * giving every port in it (BEHAVIOURS 24); a bad port is an error at its word.
 */
import { parsePortSpec, portKeys } from '../../parse/instructions/expose.js';
import type { ExposeInstruction } from '../../parse/instructions/types.js';
import { goList } from './format.js';
import { at, configOf, expandWords, metaKey, metadata, scope, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const expose: InstructionModule<ExposeInstruction> = {
  kind: 'expose',
  apply(state, ins, ctx) {
    const env = scope(state);
    const ports: string[] = [];
    for (const word of ins.ports) {
      for (const spec of expandWords(ctx, word, env)) ports.push(...portKeys(parsePortSpec(spec, at(ctx, word))));
    }
    const exposed = { ...(configOf(state).ExposedPorts ?? {}) };
    for (const p of ports) exposed[p] = {};
    // BuildKit prints the ports of this line in order (`EXPOSE [80/tcp 443/tcp]`).
    return metadata(withConfig(state, { ExposedPorts: exposed }), `EXPOSE ${goList(ports)}`, metaKey('EXPOSE', ports, state));
  },
};
