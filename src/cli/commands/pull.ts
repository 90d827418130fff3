import { UsageError } from '../../errors.js';
import { shortDigest } from '../../image/digest.js';
import { parsePlatform } from '../../image/platform.js';
import { familiarString, parseReference } from '../../image/reference.js';
import { pull } from '../../registry/pull.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const pullCommand: Command = {
  summary: 'Download an image from a registry',
  usage: `Usage: hull pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image (for a multi-platform image, the entry for one platform) into the store.

Options:
      --platform P       the platform to pick from a multi-platform image (default: this machine's)
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, platform: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('give one image reference');
    const ref = parseReference(positionals[0]!);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    if (ref.tag !== undefined) io.out(`${ref.tag}: Pulling from ${familiarString({ domain: ref.domain, path: ref.path })}\n`);
    const result = await withStore(values.root, (store) =>
      pull(store, ref, {
        ...(platform && { platform }),
        onEvent: (e) => {
          // One plain line per blob as it completes: readable in CI logs, no cursor movement.
          if (e.kind === 'blob' && e.role === 'layer') io.out(`${shortDigest(e.digest)}: ${e.status === 'exists' ? 'Already exists' : 'Pull complete'}\n`);
        },
      }),
    );
    io.out(`Digest: ${result.digest}\n`);
    io.out(`Status: ${result.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}\n`);
    return 0;
  },
};
