import { HullError, UsageError } from '../../errors.js';
import { familiarString, normalizeReference, parseReference } from '../../image/reference.js';
import type { Store } from '../../store/store.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const rmiCommand: Command = {
  summary: 'Remove image names, and the images no name needs any more',
  usage: `Usage: hull rmi [-f] REF...

Untag each REF. An image's content is deleted once no tag needs it, as docker does.
An ID or digest that several tags point at needs -f, which removes all of them.

Options:
  -f, --force              remove every tag of an image named by ID or digest
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, force: { type: 'boolean', short: 'f' } });
    if (positionals.length === 0) throw new UsageError('give at least one image');
    await withStore(values.root, async (store) => {
      for (const name of positionals) {
        for (const ref of await tagsToRemove(store, name, values.force ?? false)) {
          await store.untag(ref);
          io.out(`Untagged: ${familiarString(parseReference(ref))}\n`);
        }
      }
      // What no tag (and no build-cache hold) needs any more goes now, as docker rmi deletes layers.
      const report = await store.prune();
      for (const blob of report.blobs) io.out(`Deleted: ${blob.digest}\n`);
    });
    return 0;
  },
};

/** A tag names itself; an ID or digest names every tag pointing at that image. */
async function tagsToRemove(store: Store, name: string, force: boolean): Promise<string[]> {
  const descriptor = await store.resolve(name);
  if (!descriptor) throw new HullError(`no such image: ${name}`);
  const tags = await store.listTags();
  const byName = tags.find((t) => t.reference === normalizedOrUndefined(name));
  if (byName) return [byName.reference];
  const pointing = tags.filter((t) => t.descriptor.digest === descriptor.digest).map((t) => t.reference);
  if (pointing.length > 1 && !force) {
    throw new HullError(`${name} is tagged ${pointing.length} times (${pointing.join(', ')}): remove the tags by name, or use -f to remove them all`);
  }
  return pointing;
}

function normalizedOrUndefined(name: string): string | undefined {
  try {
    return normalizeReference(name);
  } catch {
    return undefined; // an ID prefix is not a reference
  }
}
