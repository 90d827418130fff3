/**
 * A stage's or image's filesystem to read from (COPY --from, RUN --mount from=): its layers
 * stacked in an overlay with a throw-away upper dir, so a read-write bind mount of it can never
 * change a snapshot.
 */
import type { BuildContext } from '../../context/context.js';
import { PatternMatcher } from '../../context/dockerignore.js';
import { mountRootfs } from '../../exec/rootfs.js';
import { tempPath } from '../../store/atomic.js';
import type { Store } from '../../store/store.js';
import { lowerDirs, type LayerRef } from '../layers.js';

export interface FilesystemView {
  /** The merged root directory. */
  root: string;
  close(): Promise<void>;
}

export async function openView(store: Store, layers: readonly LayerRef[]): Promise<FilesystemView> {
  const rootfs = await mountRootfs(tempPath(store.paths.tmp, 'view'), await lowerDirs(store, layers));
  return { root: rootfs.merged, close: rootfs.remove };
}

/** The view as a context to resolve sources in: nothing ignored, symlinks resolved as inside the container. */
export function viewContext(view: FilesystemView): BuildContext {
  return { root: view.root, ignore: new PatternMatcher([]), ignoreFile: null, rootfs: true };
}
