/**
 * RUN --mount and heredoc scripts as OCI mounts. `bind` mounts a path of the context or of a
 * stage/image (read-only unless `rw`); `tmpfs` a fresh tmpfs; `cache` a directory kept in the
 * store (cache-mount.ts); `secret` a build secret as a file and/or a variable (secret-mount.ts).
 * Nothing mounted reaches the layer: the runtime's mount points are dropped from the upper dir
 * after the step.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from '../../errors.js';
import { resolveSource } from '../../context/sources.js';
import type { OciMount } from '../../exec/spec.js';
import type { Mount } from '../../parse/instructions/types.js';
import type { InlineFileRequest } from '../instructions/types.js';
import type { Secret } from '../secrets.js';
import { cacheLockName, cacheMount } from './cache-mount.js';
import { secretMount } from './secret-mount.js';
import type { StepContext } from './step.js';
import { openView, viewContext } from './view.js';

export interface RunMounts {
  mounts: OciMount[];
  /** `VAR=value` entries of `env=` secrets for the process: pass them to the runtime only, never log or store them. */
  env: string[];
  /** Removes the secret files, frees the cache mounts and unmounts the `from=` views: call once the container is gone. */
  close(): Promise<void>;
}

/** `dir` is the step's own temp dir; `secrets` the build's (`hull build --secret`). */
export async function runMounts(mounts: readonly Mount[], inlineFiles: readonly InlineFileRequest[], dir: string, step: StepContext, secrets: ReadonlyMap<string, Secret>): Promise<RunMounts> {
  const undo: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const u of undo.splice(0).reverse()) await u();
  };
  try {
    // One lock order for every step, so two RUNs locking the same caches cannot deadlock.
    const locked = await Promise.all(mounts.filter((m) => m.type === 'cache' && m.sharing === 'locked').map((m) => cacheLockName(m, step)));
    for (const name of [...new Set(locked)].sort()) undo.push(await step.store.lock(name));
    // Secret files go where only root can enter, and go away as soon as the container has.
    const secretDir = join(dir, 'secrets');
    if (mounts.some((m) => m.type === 'secret')) {
      await mkdir(secretDir, { mode: 0o700 });
      undo.push(() => rm(secretDir, { recursive: true, force: true }));
    }
    const out: RunMounts = { mounts: [], env: [], close };
    for (const [i, m] of mounts.entries()) {
      if (m.type === 'secret') {
        const secret = await secretMount(m, secrets, join(secretDir, String(i)), step);
        if (secret?.mount) out.mounts.push(secret.mount);
        if (secret?.env !== undefined) out.env.push(secret.env);
      } else {
        out.mounts.push(await ociMount(m, step, undo));
      }
    }
    if (inlineFiles.length > 0) {
      await mkdir(join(dir, 'inline'));
      for (const [i, file] of inlineFiles.entries()) {
        const host = join(dir, 'inline', String(i));
        await writeFile(host, file.content, { mode: file.mode });
        out.mounts.push({ destination: file.path, type: 'bind', source: host, options: ['rbind', 'ro'] });
      }
    }
    return out;
  } catch (err) {
    await close();
    throw err;
  }
}

async function ociMount(m: Mount, step: StepContext, undo: (() => Promise<void>)[]): Promise<OciMount> {
  const target = m.target;
  if (target === undefined) throw new BuildError(`--mount=${m.spec}: give a target`, step.position);
  switch (m.type) {
    case 'tmpfs':
      return { destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size !== undefined ? [`size=${m.size}`] : [])] };
    case 'bind': {
      const source = await bindSource(m, step, undo);
      return { destination: target, type: 'bind', source, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
    }
    case 'cache': {
      const cache = await cacheMount(m, target, step);
      undo.push(cache.release);
      return cache.mount;
    }
    default:
      throw new BuildError(`--mount=type=${m.type} is not supported by this version of hull; use type=bind, cache, tmpfs or secret`, step.position);
  }
}

/** The host path behind a bind mount's source, resolved inside the context or the `from` filesystem. */
async function bindSource(m: Mount, step: StepContext, undo: (() => Promise<void>)[]): Promise<string> {
  const source = m.source ?? '/';
  let ctx = step.context;
  if (m.from !== undefined) {
    const view = await openView(step.store, await step.layersOf(m.from));
    undo.push(view.close);
    ctx = viewContext(view);
  }
  const [resolved] = await resolveSource(ctx, source, { instruction: 'RUN --mount' });
  // A link left unresolved points outside (or nowhere): mounting it would follow it on the host.
  if (resolved!.entry.type === 'symlink') throw new BuildError(`--mount=${m.spec}: ${source} is a symlink that does not resolve inside its filesystem`, step.position);
  return join(ctx.root, resolved!.path);
}
