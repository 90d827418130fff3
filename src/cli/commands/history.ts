import { UsageError } from '../../errors.js';
import { shortDigest } from '../../image/digest.js';
import { humanAge, humanSize, table } from '../image.js';
import { loadImage } from '../../store/local-image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const historyCommand: Command = {
  summary: 'Show how an image was made, step by step',
  usage: `Usage: hull history [--no-trunc] [--format table|json] [--platform P] REF

One row per history entry, newest first: the layer it made (or <missing> for steps that only
changed the config), when, the instruction, and the layer's size as stored (compressed).

Options:
      --no-trunc           do not shorten the instructions
      --format F           table (default) or json
      --platform P         which platform of a multi-platform image
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      'no-trunc': { type: 'boolean' },
      format: { type: 'string', default: 'table' },
      platform: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give one image');
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError(`--format ${values.format}: choose table or json`);
    const image = await withStore(values.root, (store) => loadImage(store, positionals[0]!, values.platform));
    const layers = [...image.manifest.layers];
    // History entries that made a layer take the layers in order; the others changed only the config.
    const rows = (image.config.history ?? []).map((h) => {
      const layer = h.empty_layer ? undefined : layers.shift();
      return { layer: layer?.digest, created: h.created, createdBy: h.created_by ?? '', size: layer?.size ?? 0, comment: h.comment ?? '' };
    });
    rows.reverse();
    if (values.format === 'json') {
      io.out(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const trim = (s: string) => (values['no-trunc'] || s.length <= 45 ? s : `${s.slice(0, 44)}…`);
    io.out(
      table([
        ['LAYER', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
        ...rows.map((r) => [r.layer ? shortDigest(r.layer) : '<missing>', humanAge(r.created), trim(r.createdBy), humanSize(r.size), r.comment]),
      ]),
    );
    return 0;
  },
};
