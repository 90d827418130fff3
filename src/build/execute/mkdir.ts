/**
 * WORKDIR's directory: created (with its missing parents) when the stage lacks it, owned by the
 * stage's USER as BuildKit does; an existing directory is left as it is, which makes no layer.
 */
import { lchown } from 'node:fs/promises';
import { mountRootfs } from '../../exec/rootfs.js';
import { resolveUser } from '../../exec/user.js';
import { RootResolver } from '../../layer/resolve.js';
import { tempPath } from '../../store/atomic.js';
import type { MkdirRequest } from '../instructions/types.js';
import { lowerDirs, type LayerRef } from '../layers.js';
import { commitStep, type PreparedStep, type StepContext } from './step.js';

export function prepareMkdir(request: MkdirRequest, step: StepContext): PreparedStep {
  return { content: [], files: [], run: () => makeDirectory(request, step), close: async () => undefined };
}

async function makeDirectory(request: MkdirRequest, step: StepContext): Promise<LayerRef | undefined> {
  const { store } = step;
  const rootfs = await mountRootfs(tempPath(store.paths.tmp, 'workdir'), await lowerDirs(store, step.layers));
  try {
    const owner = request.user === '' ? { uid: 0, gid: 0 } : await resolveUser(request.user, rootfs.merged);
    // '..' stops at the image's root, as the kernel (and Docker) read it inside the image
    const resolver = new RootResolver(rootfs.merged, { aboveRoot: 'clamp' });
    const parts = request.path.split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i);
      if ((await resolver.resolveDir(prefix, request.path, false)) !== null) continue;
      const made = await resolver.resolveDir(prefix, request.path, true);
      if (owner.uid !== 0 || owner.gid !== 0) await lchown(resolver.abs(made!), owner.uid, owner.gid);
    }
    await rootfs.unmount();
    return await commitStep(step, rootfs.upper);
  } finally {
    await rootfs.remove();
  }
}
