/**
 * COPY and ADD: gather the sources (the context, a stage or image with `--from`, heredocs,
 * downloads, git checkouts), then write them into an overlay over the stage's layers (over
 * nothing with `--link`, so the layer does not depend on what is below) and keep the diff.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../../context/context.js';
import { PatternMatcher } from '../../context/dockerignore.js';
import { resolveSources, type ResolvedSource } from '../../context/sources.js';
import { mountRootfs, type MountedRootfs } from '../../exec/rootfs.js';
import { resolveUser } from '../../exec/user.js';
import { RootResolver } from '../../layer/resolve.js';
import { tempPath } from '../../store/atomic.js';
import { copyFiles } from '../copy/index.js';
import { cloneGit, detectArchive, downloadUrl, extractArchive, parseGitUrl } from '../fetch/index.js';
import type { CopyRequest } from '../instructions/types.js';
import { commitUpperDir, lowerDirs, type LayerRef } from '../layers.js';
import type { StepContext } from './step.js';
import { stepTempDir } from './temp-dir.js';
import { openView, type FilesystemView } from './view.js';

type Owner = { uid: number; gid: number } | 'preserve';

/** Sources that share a root directory and a default owner. */
interface SourceGroup {
  ctx: BuildContext;
  sources: ResolvedSource[];
  owner: Owner;
  /** ADD: local tar archives among these are extracted rather than copied. */
  unpack: boolean;
}

const ROOT_OWNER = { uid: 0, gid: 0 };
const NO_IGNORE = new PatternMatcher([]);

export async function executeCopy(request: CopyRequest, step: StepContext): Promise<LayerRef | undefined> {
  const { store } = step;
  const work = await stepTempDir(store.paths.tmp, 'copy-sources');
  const views: FilesystemView[] = [];
  let rootfs: MountedRootfs | undefined;
  try {
    const groups = await gatherSources(request, step, work.path, views);
    const lowers = await lowerDirs(store, step.layers);
    rootfs = await mountRootfs(tempPath(store.paths.tmp, 'copy'), request.link ? [] : lowers);
    const chown = request.chown === undefined ? undefined : await resolveChown(request.chown, request, rootfs, step, views);
    for (const group of groups) await place(group, request, chown ?? group.owner, rootfs.merged);
    await rootfs.unmount();
    step.status('layer', 'writing layer', false);
    const layer = await commitUpperDir(store, rootfs.upper, step.commit);
    step.status('layer', layer ? `writing layer ${layer.blob.digest}` : 'no changes', true);
    return layer;
  } finally {
    await rootfs?.remove();
    for (const v of views) await v.close();
    await work.remove();
  }
}

/**
 * `--chown` names resolve in the stage's own /etc/passwd and /etc/group (with `--link` too,
 * whose copy target is empty); as Docker documents, a user without a group gets its uid as gid.
 */
async function resolveChown(chown: string, request: CopyRequest, rootfs: MountedRootfs, step: StepContext, views: FilesystemView[]): Promise<{ uid: number; gid: number }> {
  let root = rootfs.merged;
  if (request.link && step.layers.length > 0 && !/^\d+(:\d+)?$/.test(chown)) {
    const view = await openView(step.store, step.layers);
    views.push(view);
    root = view.root;
  }
  const user = await resolveUser(chown, root);
  return { uid: user.uid, gid: chown.includes(':') ? user.gid : user.uid };
}

async function gatherSources(request: CopyRequest, step: StepContext, work: string, views: FilesystemView[]): Promise<SourceGroup[]> {
  const instruction = request.kind === 'add' ? 'ADD' : 'COPY';
  const groups: SourceGroup[] = [];
  const paths = request.sources.flatMap((s) => (s.kind === 'path' ? [s] : []));
  const localPaths = request.kind === 'add' ? paths.filter((s) => parseGitUrl(s.path) === undefined) : paths;

  if (localPaths.length > 0) {
    if (request.from !== undefined) {
      const view = await openView(step.store, await step.layersOf(request.from));
      views.push(view);
      const ctx: BuildContext = { root: view.root, ignore: NO_IGNORE, ignoreFile: null, rootfs: true };
      groups.push({ ctx, sources: await resolveSources(ctx, localPaths.map((s) => s.path), { instruction }), owner: 'preserve', unpack: false });
    } else {
      groups.push({
        ctx: step.context,
        sources: await resolveSources(step.context, localPaths.map((s) => s.path), { instruction }),
        owner: ROOT_OWNER,
        unpack: localPaths.some((s) => s.unpack),
      });
    }
  }

  for (const [i, source] of request.sources.entries()) {
    const dir = join(work, String(i));
    const git = source.kind === 'heredoc' || request.kind !== 'add' ? undefined : parseGitUrl(source.kind === 'url' ? source.url : source.path);
    if (git !== undefined) {
      step.status(`git-${i}`, `cloning ${git.remote}`, false);
      const { root } = await cloneGit(git, dir, { keepGitDir: request.keepGitDir, ...(step.commit.sourceDateEpoch !== undefined ? { mtime: 'commit' as const } : {}) });
      step.status(`git-${i}`, `cloning ${git.remote}`, true);
      groups.push(await rootGroup(root, '.', instruction));
    } else if (source.kind === 'url') {
      await mkdir(dir);
      const download = await downloadUrl(source.url, dir, {
        ...(request.checksum !== undefined ? { checksum: request.checksum } : {}),
        onProgress: (received, total) => step.status(source.url, `downloading ${source.url} ${received}${total !== undefined ? `/${total}` : ''} bytes`, false),
      });
      step.status(source.url, `downloaded ${source.url} (${download.digest})`, true);
      // The file takes the URL's name in the image (the download has a unique temp name).
      await rename(download.path, join(dir, download.name));
      const group = await rootGroup(dir, download.name, instruction);
      groups.push({ ...group, unpack: source.unpack });
    } else if (source.kind === 'heredoc') {
      await mkdir(dir);
      await writeFile(join(dir, source.name), source.content, { mode: source.mode });
      groups.push(await rootGroup(dir, source.name, instruction));
    }
  }
  return groups;
}

/** A group of one source inside a directory hull made (downloads, heredocs, checkouts). */
async function rootGroup(root: string, source: string, instruction: string): Promise<SourceGroup> {
  const ctx: BuildContext = { root, ignore: NO_IGNORE, ignoreFile: null };
  return { ctx, sources: await resolveSources(ctx, [source], { instruction }), owner: ROOT_OWNER, unpack: false };
}

async function place(group: SourceGroup, request: CopyRequest, owner: Owner, targetRoot: string): Promise<void> {
  const copied: ResolvedSource[] = [];
  for (const source of group.sources) {
    const archive = group.unpack && source.entry.type === 'file' ? await detectArchive(join(group.ctx.root, source.path)) : undefined;
    if (archive === undefined) {
      copied.push(source);
      continue;
    }
    const dest = await new RootResolver(targetRoot).resolveDir(request.dest.split('/').filter((p) => p !== ''), request.dest, true);
    await extractArchive(join(group.ctx.root, source.path), join(targetRoot, dest!), owner === 'preserve' ? {} : { owner });
  }
  if (copied.length === 0) return;
  await copyFiles({
    sourceRoot: group.ctx.root,
    sources: copied,
    targetRoot,
    dest: request.dest,
    destIsDir: request.destIsDir,
    owner,
    ...(request.chmod !== undefined ? { chmod: request.chmod } : {}),
    exclude: request.exclude,
    parents: request.parents,
    instruction: request.kind === 'add' ? 'ADD' : 'COPY',
    ignore: group.ctx.ignore,
  });
}
