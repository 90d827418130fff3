import { UsageError } from '../../errors.js';
import { familiarName, parseReference, DEFAULT_TAG } from '../../image/reference.js';
import { openRepository } from '../../registry/client.js';
import { push, type PushProgress } from '../../registry/push.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';
import { plainLine, TtyProgress } from './push-progress.js';

export const pushCommand: Command = {
  summary: 'Upload an image to a registry',
  usage: `Usage: hull push [OPTIONS] REF [DEST]

Upload the local image REF (a name, digest or ID; a multi-platform index with every platform
the store holds) to DEST, by default REF itself: hull push myapp:1 127.0.0.1:5000/myapp:1

Options:
      --progress P       auto, tty or plain (default: auto, tty on a terminal)
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, progress: { type: 'string' } });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('give REF and optionally DEST');
    const [source, destText] = positionals as [string, string | undefined];
    const dest = parseReference(destText ?? source);
    if (dest.digest !== undefined) throw new UsageError(`cannot push to ${destText ?? source}: a destination names a tag, not a digest`);
    const tag = dest.tag ?? DEFAULT_TAG;
    const mode = values.progress ?? 'auto';
    if (mode !== 'auto' && mode !== 'tty' && mode !== 'plain') throw new UsageError(`--progress ${mode}: use auto, tty or plain`);
    const tty = mode === 'tty' || (mode === 'auto' && process.stdout.isTTY === true);

    io.out(`The push refers to repository [${familiarName(dest)}]\n`);
    const live = tty ? new TtyProgress(io.out) : undefined;
    const onProgress = (e: PushProgress): void => {
      if (live) return live.update(e);
      const line = plainLine(e);
      if (line) io.out(`${line}\n`);
    };
    const session = openRepository({ registry: dest.domain, repository: dest.path });
    const result = await withStore(values.root, (store) => push(store, source, { session, tags: [tag] }, { onProgress }));
    live?.finish();
    io.out(`${tag}: digest: ${result.descriptor.digest} size: ${result.descriptor.size}\n`);
    return 0;
  },
};
