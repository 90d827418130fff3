import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after } from 'node:test';
import { copyFiles, type CopyFilesOptions, type CopyFilesResult } from '../../../src/build/copy/index.js';
import { openContext } from '../../../src/context/context.js';
import { resolveSources } from '../../../src/context/sources.js';
import { makeTree, removeTree, type TreeNode } from '../../helpers/context-tree.js';

/** Context trees made by `contextTree`, removed after the test file. */
const made: string[] = [];
after(async () => {
  for (const dir of made.splice(0)) await removeTree(dir);
});

export async function contextTree(spec: Record<string, TreeNode>): Promise<string> {
  const dir = await makeTree(spec, 'hull-copy-ctx-');
  made.push(dir);
  return dir;
}

export type CopyOptions = Partial<Omit<CopyFilesOptions, 'sourceRoot' | 'sources' | 'targetRoot' | 'dest'>>;

/** COPY `sources` from the context at `contextDir` to `dest` in `targetRoot`, as the solver calls it. */
export async function copy(contextDir: string, sources: string[], targetRoot: string, dest: string, options: CopyOptions = {}): Promise<CopyFilesResult> {
  const ctx = await openContext(contextDir);
  return copyFiles({
    sourceRoot: ctx.root,
    sources: await resolveSources(ctx, sources, { instruction: 'COPY' }),
    targetRoot,
    dest,
    destIsDir: dest.endsWith('/'),
    owner: { uid: 0, gid: 0 },
    exclude: [],
    parents: false,
    instruction: 'COPY',
    ignore: ctx.ignore,
    ...options,
  });
}

/** Every path below `root`, sorted: `dir/`, `file`, `link -> target`. */
export async function listTree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(join(root, path));
    if (st.isDirectory()) out.push(`${path}/`, ...(await listTree(root, path)));
    else if (st.isSymbolicLink()) out.push(`${path} -> ${await readlink(join(root, path))}`);
    else out.push(path);
  }
  return out;
}
