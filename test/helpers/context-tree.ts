import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A file's content (or content and mode), `{ link }` for a symlink, or `{ dir: true }` for an empty directory. */
export type TreeNode = string | { content: string; mode: number } | { link: string } | { dir: true };

/** Builds a throw-away directory from `{ 'a/b.txt': 'text', 'l': { link: '../x' } }`; returns its path. */
export async function makeTree(spec: Record<string, TreeNode>, prefix = 'hull-ctx-'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await fillTree(root, spec);
  return root;
}

/** Writes `spec` into the existing directory `root`; returns `root`. */
export async function fillTree(root: string, spec: Record<string, TreeNode>): Promise<string> {
  for (const [path, node] of Object.entries(spec)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof node === 'string') await writeFile(abs, node);
    else if ('content' in node) {
      await writeFile(abs, node.content);
      await chmod(abs, node.mode);
    } else if ('link' in node) await symlink(node.link, abs);
    else await mkdir(abs, { recursive: true });
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
