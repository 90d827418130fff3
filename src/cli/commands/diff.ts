import { UsageError } from '../../errors.js';
import { applyToPathSet, listChanges } from '../../layer/changes.js';
import { loadImage } from '../../store/local-image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

const MARK = { added: 'A', changed: 'C', deleted: 'D' } as const;

export const diffCommand: Command = {
  summary: 'List the paths each layer of an image adds, changes and deletes',
  usage: `Usage: hull diff [--format text|json] [--platform P] REF

For every layer, bottom first: A (added), C (changed: it existed in a lower layer) and
D (deleted by a whiteout), like 'docker diff'.

Options:
      --format F           text (default) or json
      --platform P         which platform of a multi-platform image
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      format: { type: 'string', default: 'text' },
      platform: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give one image');
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format ${values.format}: choose text or json`);
    const layers = await withStore(values.root, async (store) => {
      const image = await loadImage(store, positionals[0]!, values.platform);
      const below = new Set<string>();
      const result = [];
      for (const layer of image.manifest.layers) {
        const changes = await listChanges(await store.getBlob(layer.digest, { verify: true }), below);
        await applyToPathSet(await store.getBlob(layer.digest), below);
        result.push({ layer: layer.digest, changes });
      }
      return result;
    });
    if (values.format === 'json') {
      io.out(`${JSON.stringify(layers, null, 2)}\n`);
      return 0;
    }
    layers.forEach(({ layer, changes }, i) => {
      io.out(`${i > 0 ? '\n' : ''}layer ${i + 1}/${layers.length} ${layer}\n`);
      for (const c of changes) io.out(`${MARK[c.kind]} ${c.path}\n`);
    });
    return 0;
  },
};
