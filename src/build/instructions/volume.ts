/** VOLUME: expanded paths added to the config's set (JSON or words, BEHAVIOURS 25). */
import { GraphError } from '../../errors.js';
import type { VolumeInstruction } from '../../parse/instructions/types.js';
import { goList } from './format.js';
import { at, configOf, expandWord, metaKey, metadata, scope, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const volume: InstructionModule<VolumeInstruction> = {
  kind: 'volume',
  apply(state, ins, ctx) {
    const env = scope(state);
    const volumes = { ...(configOf(state).Volumes ?? {}) };
    const paths = ins.volumes.map((word) => {
      const path = expandWord(ctx, word, env);
      if (path === '') throw new GraphError(`VOLUME ${word.value} expands to an empty path: give a path`, at(ctx, word));
      volumes[path] = {};
      return path;
    });
    return metadata(withConfig(state, { Volumes: volumes }), `VOLUME ${goList(paths)}`, metaKey('VOLUME', paths, state));
  },
};
