import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A file's content, `{ link }` for a symlink, or `{ dir: true }` for an empty directory. */
export type TreeNode = string | { link: string } | { dir: true };

/** Builds a throw-away directory from `{ 'a/b.txt': 'text', 'l': { link: '../x' } }`; returns its path. */
export async function makeTree(spec: Record<string, TreeNode>, prefix = 'hull-ctx-'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  for (const [path, node] of Object.entries(spec)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof node === 'string') await writeFile(abs, node);
    else if ('link' in node) await symlink(node.link, abs);
    else await mkdir(abs, { recursive: true });
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
