/**
 * COPY and ADD: gather the sources (the context, a stage or image with `--from`, heredocs,
 * downloads, git checkouts), then write them into an overlay over the stage's layers (over
 * nothing with `--link`, so the layer does not depend on what is below) and keep the diff.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../../context/context.js';
import { PatternMatcher } from '../../context/dockerignore.js';
import type { DigestInput } from '../../context/hash.js';
import { resolveSources, type ResolvedSource } from '../../context/sources.js';
import { sourcesDigest } from '../../cache/content.js';
import { mountRootfs, type MountedRootfs } from '../../exec/rootfs.js';
import { resolveUser } from '../../exec/user.js';
import { RootResolver } from '../../layer/resolve.js';
import { tempPath } from '../../store/atomic.js';
import { noSpaceError } from '../../store/errors.js';
import { copyFiles, SnapshotReuse } from '../copy/index.js';
import { cloneGit, detectArchive, downloadUrl, extractArchive, parseGitUrl } from '../fetch/index.js';
import type { CopyRequest } from '../instructions/types.js';
import { lowerDirs, type LayerRef } from '../layers.js';
import { commitStep, type PreparedStep, type StepContext } from './step.js';
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

/**
 * Gathers what the step reads (context files hashed through the stat cache, downloads, git
 * checkouts; a `--from` stage stands for itself by its key) so the cache can be asked first;
 * `run()` then writes the layer. Sources from another stage are resolved only in `run()`, so a
 * cache hit never mounts that stage.
 */
export async function prepareCopy(request: CopyRequest, step: StepContext): Promise<PreparedStep> {
  const work = await stepTempDir(step.store.paths.tmp, 'copy-sources');
  const views: FilesystemView[] = [];
  const close = async (): Promise<void> => {
    for (const v of views.splice(0)) await v.close();
    await work.remove();
  };
  try {
    const groups = await gatherSources(request, step, work.path);
    const content: string[] = [];
    const files: DigestInput[] = [];
    if (request.from !== undefined && groups.some((g) => g === 'from')) content.push(`from:${await step.keyOf(request.from)}`);
    for (const group of groups) {
      if (group === 'from') continue;
      const fromContext = group.ctx === step.context;
      const digest = await sourcesDigest(group.ctx.root, group.sources, group.ctx.ignore, fromContext ? step.statCache : undefined);
      content.push(digest.digest);
      if (fromContext) files.push(...digest.entries);
    }
    return {
      content,
      files,
      run: async () => {
        const resolved: SourceGroup[] = [];
        for (const group of groups) resolved.push(group === 'from' ? await fromGroup(request, step, views) : group);
        return writeCopy(request, step, resolved, views, files);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function writeCopy(request: CopyRequest, step: StepContext, groups: readonly SourceGroup[], views: FilesystemView[], files: readonly DigestInput[]): Promise<LayerRef | undefined> {
  const { store } = step;
  const lowers = await lowerDirs(store, step.layers);
  const rootfs = await mountRootfs(tempPath(store.paths.tmp, 'copy'), request.link ? [] : lowers);
  try {
    const chown = request.chown === undefined ? undefined : await resolveChown(request.chown, request, rootfs, step, views);
    const reuse = rootfs.snapshotter === 'overlay' ? await snapshotReuse(step, files, rootfs.upper) : undefined;
    try {
      for (const group of groups) await place(group, request, chown ?? group.owner, rootfs.merged, group.ctx === step.context ? reuse : undefined);
      await rootfs.unmount();
      if (reuse !== undefined && reuse.size > 0) {
        reuse.link();
        step.status('reuse', `${reuse.size} unchanged files linked from the previous build`, true);
      }
    } catch (err) {
      throw noSpaceError(err, `the copied files into ${store.paths.tmp}`);
    }
    return await commitStep(step, rootfs.upper);
  } finally {
    await rootfs.remove();
  }
}

/**
 * The previous build's copy, to take unchanged files from: when it ran on the same parent with
 * the same instruction and its snapshot is here (leased for this build by hasSnapshot).
 */
async function snapshotReuse(step: StepContext, files: readonly DigestInput[], upper: string): Promise<SnapshotReuse | undefined> {
  const previous = step.previous;
  if (previous?.files === undefined || !(await step.store.hasSnapshot(previous.layer.diffID))) return undefined;
  const before = new Map<string, string>();
  for (const f of previous.files) if (f.type === 'file' && f.hash !== undefined) before.set(f.path, f.hash);
  const unchanged = new Set<string>();
  // the copy names a context file `${root}/${path}`, as the walk gives it
  for (const f of files) if (f.type === 'file' && f.hash !== undefined && before.get(f.path) === f.hash) unchanged.add(`${step.context.root}/${f.path}`);
  return unchanged.size === 0 ? undefined : new SnapshotReuse(step.store.snapshotPath(previous.layer.diffID), upper, unchanged);
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

/** The source groups in order; `'from'` stands for the `--from` stage's sources, resolved later. */
async function gatherSources(request: CopyRequest, step: StepContext, work: string): Promise<(SourceGroup | 'from')[]> {
  const instruction = request.kind === 'add' ? 'ADD' : 'COPY';
  const groups: (SourceGroup | 'from')[] = [];
  const paths = localPaths(request);
  if (paths.length > 0) {
    if (request.from !== undefined) {
      groups.push('from');
    } else {
      groups.push({
        ctx: step.context,
        sources: await resolveSources(step.context, paths.map((s) => s.path), { instruction }),
        owner: ROOT_OWNER,
        unpack: paths.some((s) => s.unpack),
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

/** The path sources that are files of the context or of the `--from` stage (not git URLs). */
function localPaths(request: CopyRequest): { path: string; unpack: boolean }[] {
  const paths = request.sources.flatMap((s) => (s.kind === 'path' ? [s] : []));
  return request.kind === 'add' ? paths.filter((s) => parseGitUrl(s.path) === undefined) : paths;
}

/** `COPY --from`: the named stage or image, mounted read-only, its links resolved as inside it. */
async function fromGroup(request: CopyRequest, step: StepContext, views: FilesystemView[]): Promise<SourceGroup> {
  const view = await openView(step.store, await step.layersOf(request.from!));
  views.push(view);
  const ctx: BuildContext = { root: view.root, ignore: NO_IGNORE, ignoreFile: null, rootfs: true };
  const instruction = request.kind === 'add' ? 'ADD' : 'COPY';
  return { ctx, sources: await resolveSources(ctx, localPaths(request).map((s) => s.path), { instruction }), owner: 'preserve', unpack: false };
}

/** A group of one source inside a directory hull made (downloads, heredocs, checkouts). */
async function rootGroup(root: string, source: string, instruction: string): Promise<SourceGroup> {
  const ctx: BuildContext = { root, ignore: NO_IGNORE, ignoreFile: null };
  return { ctx, sources: await resolveSources(ctx, [source], { instruction }), owner: ROOT_OWNER, unpack: false };
}

async function place(group: SourceGroup, request: CopyRequest, owner: Owner, targetRoot: string, reuse: SnapshotReuse | undefined): Promise<void> {
  const copied: ResolvedSource[] = [];
  for (const source of group.sources) {
    const archive = group.unpack && source.entry.type === 'file' ? await detectArchive(join(group.ctx.root, source.path)) : undefined;
    if (archive === undefined) {
      copied.push(source);
      continue;
    }
    const dest = await new RootResolver(targetRoot, { aboveRoot: 'clamp' }).resolveDir(request.dest.split('/').filter((p) => p !== ''), request.dest, true);
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
    ...(reuse !== undefined ? { reuse } : {}),
  });
}
