import { UsageError } from '../../errors.js';
import { shortDigest } from '../../image/digest.js';
import { parsePlatform } from '../../image/platform.js';
import { familiarString, parseReference } from '../../image/reference.js';
import { pull } from '../../registry/pull.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import { LiveRows, transferBar, wantsTty } from '../progress.js';
import type { Command } from '../types.js';

export const pullCommand: Command = {
  summary: 'Download an image from a registry',
  usage: `Usage: hull pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image (for a multi-platform image, the entry for one platform) into the store.

Options:
      --platform P       the platform to pick from a multi-platform image (default: this machine's)
      --progress P       auto, tty or plain (default: auto, tty on a terminal)
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, platform: { type: 'string' }, progress: { type: 'string', default: 'auto' } });
    if (positionals.length !== 1) throw new UsageError('give one image reference');
    if (!['auto', 'tty', 'plain'].includes(values.progress)) throw new UsageError(`--progress ${values.progress}: use auto, tty or plain`);
    const live = wantsTty(values.progress) ? new LiveRows(io.out) : undefined;
    const started = new Map<string, number>();
    const ref = parseReference(positionals[0]!);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    if (ref.tag !== undefined) io.out(`${ref.tag}: Pulling from ${familiarString({ domain: ref.domain, path: ref.path })}\n`);
    const result = await withStore(values.root, (store) =>
      pull(store, ref, {
        ...(platform && { platform }),
        onEvent: (e) => {
          if (e.kind === 'resolved' || e.role !== 'layer') return;
          const id = shortDigest(e.digest);
          if (e.kind === 'progress') {
            if (!started.has(e.digest)) started.set(e.digest, Date.now());
            live?.update(e.digest, `${id}: Downloading ${transferBar(e.received, e.size, started.get(e.digest)!)}`, false);
            return;
          }
          // Off a terminal, one plain line per blob as it completes: readable in CI logs.
          const done = `${id}: ${e.status === 'exists' ? 'Already exists' : 'Pull complete'}`;
          if (live) live.update(e.digest, done, true);
          else io.out(`${done}\n`);
        },
      }),
    );
    live?.finish();
    io.out(`Digest: ${result.digest}\n`);
    io.out(`Status: ${result.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}\n`);
    return 0;
  },
};
