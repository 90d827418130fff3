import { UsageError } from '../../errors.js';
import { shortDigest, type Digest } from '../../image/digest.js';
import { familiarName, parseReference } from '../../image/reference.js';
import { humanAge, humanSize, table } from '../image.js';
import { loadImage } from '../../store/local-image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

interface Row {
  repository: string;
  tag: string;
  id: Digest;
  digest: Digest;
  created: string | undefined;
  size: number;
  platform: string;
}

export const imagesCommand: Command = {
  summary: 'List the images in the local store',
  usage: `Usage: hull images [--format table|json]

Options:
      --format F           table (default) or json
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, format: { type: 'string', default: 'table' } });
    if (positionals.length > 0) throw new UsageError('hull images takes no arguments');
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError(`--format ${values.format}: choose table or json`);
    const rows = await withStore(values.root, async (store) => {
      const out: Row[] = [];
      for (const { reference } of await store.listTags()) {
        const image = await loadImage(store, reference);
        const ref = parseReference(reference);
        out.push({
          repository: familiarName(ref),
          tag: ref.tag ?? '<none>',
          id: image.id,
          digest: image.descriptor.digest,
          created: image.config.created,
          size: image.manifest.layers.reduce((sum, l) => sum + l.size, image.manifest.config.size),
          platform: [image.config.os, image.config.architecture, image.config.variant].filter(Boolean).join('/'),
        });
      }
      return out;
    });
    if (values.format === 'json') {
      io.out(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    io.out(
      table([
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        ...rows.map((r) => [r.repository, r.tag, shortDigest(r.id), humanAge(r.created), humanSize(r.size)]),
      ]),
    );
    return 0;
  },
};
