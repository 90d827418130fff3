import { UsageError } from '../../errors.js';
import { PlatformMismatchError } from '../../image/errors.js';
import { availablePlatforms } from '../../image/match.js';
import { loadImage } from '../../store/local-image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const inspectCommand: Command = {
  summary: "Show an image's manifest and config",
  usage: `Usage: hull inspect [--platform P] REF...

Print, for each image, its ID, names, manifest and config as JSON. For a multi-platform image
the index is shown too (and its platforms), with the manifest of --platform (default: this
machine's).

Options:
      --platform P         which platform of a multi-platform image
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, platform: { type: 'string' } });
    if (positionals.length === 0) throw new UsageError('give at least one image');
    const out = await withStore(values.root, async (store) => {
      const tags = await store.listTags();
      const result: object[] = [];
      for (const name of positionals) {
        const image = await loadImage(store, name, values.platform).catch(async (err: unknown) => {
          // An index without this machine's platform is still shown, with its first platform's image.
          if (!(err instanceof PlatformMismatchError) || values.platform !== undefined || err.available.length === 0) throw err;
          return loadImage(store, name, err.available[0]);
        });
        const parsed = await store.readManifest(image.descriptor);
        result.push({
          Id: image.id,
          RepoTags: tags.filter((t) => t.descriptor.digest === image.descriptor.digest).map((t) => t.reference),
          Descriptor: image.descriptor,
          ...(parsed.kind === 'index' && { Platforms: availablePlatforms(parsed.index.manifests), Index: parsed.index, PlatformManifest: image.manifestDescriptor }),
          Manifest: image.manifest,
          Config: image.config,
        });
      }
      return result;
    });
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  },
};
