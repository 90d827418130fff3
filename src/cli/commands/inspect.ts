import { UsageError } from '../../errors.js';
import { loadImage } from '../../store/local-image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const inspectCommand: Command = {
  summary: "Show an image's manifest and config",
  usage: `Usage: hull inspect [--platform P] REF...

Print, for each image, its ID, names, manifest and config as JSON. For a multi-platform image
the index is shown too, with the manifest of --platform (default: this machine's).

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
        const image = await loadImage(store, name, values.platform);
        const parsed = await store.readManifest(image.descriptor);
        result.push({
          Id: image.id,
          RepoTags: tags.filter((t) => t.descriptor.digest === image.descriptor.digest).map((t) => t.reference),
          Descriptor: image.descriptor,
          ...(parsed.kind === 'index' && { Index: parsed.index, PlatformManifest: image.manifestDescriptor }),
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
