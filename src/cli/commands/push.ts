import { HullError, UsageError } from '../../errors.js';
import { DEFAULT_TAG, familiarName, parseReference, repositoryName } from '../../image/reference.js';
import { openRepository } from '../../registry/client.js';
import { push, type PushProgress } from '../../registry/push.js';
import type { Store } from '../../store/store.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';
import { wantsTty } from '../progress.js';
import { plainLine, TtyProgress } from './push-progress.js';

export const pushCommand: Command = {
  summary: 'Upload an image to a registry',
  usage: `Usage: hull push [OPTIONS] REF [DEST]

Upload the local image REF (a name, digest or ID; a multi-platform index with every platform
the store holds) to DEST, by default REF itself: hull push myapp:1 127.0.0.1:5000/myapp:1
With --all-tags, REF (and DEST) name a repository and every local tag of it is pushed; tags of
one image go up in one push.

Options:
  -a, --all-tags         push every local tag of the repository REF
      --progress P       auto, tty or plain (default: auto, tty on a terminal)
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      progress: { type: 'string' },
      'all-tags': { type: 'boolean', short: 'a' },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('give REF and optionally DEST');
    const [source, destText] = positionals as [string, string | undefined];
    const dest = parseReference(destText ?? source);
    if (dest.digest !== undefined) throw new UsageError(`cannot push to ${destText ?? source}: a destination names a tag, not a digest`);
    const allTags = values['all-tags'] === true;
    const hasTag = (text: string): boolean => /:[^/]*$/.test(text);
    if (allTags && (hasTag(source) || (destText !== undefined && hasTag(destText)))) {
      throw new UsageError('with --all-tags, name repositories without a tag');
    }
    const mode = values.progress ?? 'auto';
    if (mode !== 'auto' && mode !== 'tty' && mode !== 'plain') throw new UsageError(`--progress ${mode}: use auto, tty or plain`);
    const tty = wantsTty(mode);

    io.out(`The push refers to repository [${familiarName(dest)}]\n`);
    const live = tty ? new TtyProgress(io.out) : undefined;
    const onProgress = (e: PushProgress): void => {
      if (live) return live.update(e);
      const line = plainLine(e);
      if (line) io.out(`${line}\n`);
    };
    const session = openRepository({ registry: dest.domain, repository: dest.path });
    await withStore(values.root, async (store) => {
      const jobs = allTags ? await tagsOfRepository(store, source) : [{ source, tags: [dest.tag ?? DEFAULT_TAG] }];
      for (const job of jobs) {
        const result = await push(store, job.source, { session, tags: job.tags }, { onProgress });
        live?.finish();
        for (const tag of job.tags) io.out(`${tag}: digest: ${result.descriptor.digest} size: ${result.descriptor.size}\n`);
      }
    });
    return 0;
  },
};

/** Every local tag of `repository`, grouped by the image they name (one push per image). */
async function tagsOfRepository(store: Store, repository: string): Promise<{ source: string; tags: string[] }[]> {
  const wanted = repositoryName(parseReference(repository));
  const byImage = new Map<string, { source: string; tags: string[] }>();
  for (const { reference, descriptor } of await store.listTags()) {
    const ref = parseReference(reference);
    if (repositoryName(ref) !== wanted || ref.tag === undefined) continue;
    const job = byImage.get(descriptor.digest) ?? { source: reference, tags: [] };
    job.tags.push(ref.tag);
    byImage.set(descriptor.digest, job);
  }
  if (byImage.size === 0) throw new HullError(`no local tags of ${familiarName(parseReference(repository))} (see 'hull images')`);
  return [...byImage.values()];
}
