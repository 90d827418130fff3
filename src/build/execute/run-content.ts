/**
 * What a RUN reads besides its parent layers, for its cache key: the context files a bind mount
 * exposes (hashed like COPY sources) and the stage or image a `from=` mount names (by key).
 * Cache, tmpfs and secret mounts add nothing: their contents are not inputs BuildKit keys on.
 */
import { sourcesDigest } from '../../cache/content.js';
import type { DigestInput } from '../../context/hash.js';
import { resolveSource } from '../../context/sources.js';
import type { RunRequest } from '../instructions/types.js';
import type { StepContext } from './step.js';

export async function runContent(request: RunRequest, step: StepContext): Promise<{ content: string[]; files: DigestInput[] }> {
  const content: string[] = [];
  const files: DigestInput[] = [];
  for (const m of request.mounts) {
    if (m.type !== 'bind' && m.type !== 'cache') continue;
    if (m.from !== undefined) {
      content.push(`from:${await step.keyOf(m.from)}`);
    } else if (m.type === 'bind') {
      const sources = await resolveSource(step.context, m.source ?? '/', { instruction: 'RUN --mount' });
      const digest = await sourcesDigest(step.context.root, sources, step.context.ignore, step.statCache);
      content.push(digest.digest);
      files.push(...digest.entries);
    }
  }
  return { content, files };
}
