import { HullError, UsageError } from '../../errors.js';
import { normalizeReference } from '../../image/reference.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const tagCommand: Command = {
  summary: 'Give an image another name',
  usage: `Usage: hull tag SOURCE TARGET

Tag the image SOURCE (a name, digest or ID) as TARGET.

Options:
${ROOT_USAGE}`,
  async run(args) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION });
    if (positionals.length !== 2) throw new UsageError('give SOURCE and TARGET');
    const [source, target] = positionals as [string, string];
    const reference = normalizeReference(target);
    await withStore(values.root, async (store) => {
      const descriptor = await store.resolve(source);
      if (!descriptor) throw new HullError(`no such image: ${source} (see 'hull images')`);
      await store.tag(reference, descriptor);
    });
    return 0;
  },
};
