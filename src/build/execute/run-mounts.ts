/**
 * RUN --mount and heredoc scripts as OCI mounts. `bind` mounts a path of the context or of a
 * stage/image (read-only unless `rw`); `tmpfs` a fresh tmpfs. Nothing mounted reaches the layer:
 * the runtime's mount points are dropped from the upper dir after the step.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from '../../errors.js';
import { PatternMatcher } from '../../context/dockerignore.js';
import { resolveSource } from '../../context/sources.js';
import type { OciMount } from '../../exec/spec.js';
import type { Mount } from '../../parse/instructions/types.js';
import type { InlineFileRequest } from '../instructions/types.js';
import type { StepContext } from './step.js';
import { openView, type FilesystemView } from './view.js';

export interface RunMounts {
  mounts: OciMount[];
  /** Unmounts the views opened for `from=` mounts. */
  close(): Promise<void>;
}

export async function runMounts(mounts: readonly Mount[], inlineFiles: readonly InlineFileRequest[], dir: string, step: StepContext): Promise<RunMounts> {
  const views: FilesystemView[] = [];
  const close = async (): Promise<void> => {
    for (const v of views.splice(0)) await v.close();
  };
  try {
    const out: OciMount[] = [];
    for (const m of mounts) out.push(await ociMount(m, step, views));
    if (inlineFiles.length > 0) {
      await mkdir(join(dir, 'inline'));
      for (const [i, file] of inlineFiles.entries()) {
        const host = join(dir, 'inline', String(i));
        await writeFile(host, file.content, { mode: file.mode });
        out.push({ destination: file.path, type: 'bind', source: host, options: ['rbind', 'ro'] });
      }
    }
    return { mounts: out, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function ociMount(m: Mount, step: StepContext, views: FilesystemView[]): Promise<OciMount> {
  const target = m.target;
  if (target === undefined) throw new BuildError(`--mount=${m.spec}: give a target`, step.position);
  switch (m.type) {
    case 'tmpfs':
      return { destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size !== undefined ? [`size=${m.size}`] : [])] };
    case 'bind': {
      const source = await bindSource(m, step, views);
      return { destination: target, type: 'bind', source, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
    }
    default:
      throw new BuildError(`--mount=type=${m.type} is not supported by this version of hull; use type=bind or type=tmpfs`, step.position);
  }
}

/** The host path behind a bind mount's source, resolved inside the context or the `from` filesystem. */
async function bindSource(m: Mount, step: StepContext, views: FilesystemView[]): Promise<string> {
  const source = m.source ?? '/';
  let root = step.context.root;
  let ctx = step.context;
  if (m.from !== undefined) {
    const view = await openView(step.store, await step.layersOf(m.from));
    views.push(view);
    root = view.root;
    ctx = { root, ignore: new PatternMatcher([]), ignoreFile: null, rootfs: true };
  }
  const [resolved] = await resolveSource(ctx, source, { instruction: 'RUN --mount' });
  // A link left unresolved points outside (or nowhere): mounting it would follow it on the host.
  if (resolved!.entry.type === 'symlink') throw new BuildError(`--mount=${m.spec}: ${source} is a symlink that does not resolve inside its filesystem`, step.position);
  return join(root, resolved!.path);
}
