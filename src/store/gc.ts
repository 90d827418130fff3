/**
 * Prune: removes blobs and snapshots nothing needs, and temp leftovers.
 *
 * Kept: everything reachable from index.json (tags, and untagged entries other tools wrote),
 * the snapshots of the diff IDs those images use, holds (unless `all`), and whatever a live
 * process has leased. Safe against concurrent writers without stopping them:
 *   1. list the blobs and snapshots first, then read tags, holds and leases;
 *   2. move each unneeded one aside into tmp/ (a rename: atomic, and undone by the next
 *      cleanup if this process dies, see temp.ts);
 *   3. read the leases again: a writer leases a digest before it checks that the blob exists,
 *      so any writer that saw it before step 2 is now visible, and its blob goes back;
 *   4. delete the rest.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../image/digest.js';
import { listDir, sizeOf, removeTree, treeSize } from './fsutil.js';
import type { StorePaths } from './layout.js';
import type { Leases } from './lease.js';
import type { Meta } from './meta.js';
import { readIndexJson } from './oci-index.js';
import { cleanTemp, parkingPath, restore, trashPath } from './temp.js';
import { Walker, type BlobReader } from './walk.js';

export interface PruneOptions {
  /** Also drop holds (the build cache): keep only what a tag needs. */
  all?: boolean;
}

export interface PruneReport {
  blobs: { digest: Digest; size: number }[];
  snapshots: { diffId: Digest; size: number }[];
  /** Names of the temp leftovers removed. */
  temp: string[];
  /** Holds dropped (with `all`). */
  holds: string[];
  reclaimedBytes: number;
}

export interface GcContext {
  paths: StorePaths;
  leases: Leases;
  meta: Meta;
  read: BlobReader;
}

interface Parked {
  parked: string;
  original: string;
  digest: Digest;
  size: number;
  kind: 'blob' | 'snapshot';
}

export async function collect(ctx: GcContext, options: PruneOptions): Promise<PruneReport> {
  const { paths } = ctx;
  const report: PruneReport = { blobs: [], snapshots: [], temp: [], holds: [], reclaimedBytes: 0 };

  const blobs = await listBlobs(paths);
  const snapshots = await listSnapshots(paths);

  const walker = new Walker(ctx.read, (d) => sizeOf(paths.blob(d)));
  for (const entry of (await readIndexJson(paths)).manifests) await walker.visit(entry);
  const keepSnapshots = new Set<string>();
  const holds = await ctx.meta.holds();
  if (!options.all) {
    for (const hold of holds) {
      for (const d of hold.blobs) await walker.visitDigest(d);
      for (const d of hold.snapshots) keepSnapshots.add(d);
    }
  }
  for (const d of walker.result.diffIds) keepSnapshots.add(d);
  const leased = await ctx.leases.live();
  const keepBlobs = walker.result.blobs;

  const parked: Parked[] = [];
  for (const digest of blobs) {
    if (keepBlobs.has(digest) || leased.has(digest)) continue;
    const original = paths.blob(digest);
    const size = (await sizeOf(original)) ?? 0;
    const spot = parkingPath(paths, 'gc-blob', `${digestAlgorithm(digest)}.${digestHex(digest)}`);
    if (await moveAside(original, spot)) parked.push({ parked: spot, original, digest, size, kind: 'blob' });
  }
  for (const diffId of snapshots) {
    if (keepSnapshots.has(diffId) || leased.has(diffId)) continue;
    const original = paths.snapshot(diffId);
    const spot = parkingPath(paths, 'gc-snap', original.slice(paths.snapshots.length + 1));
    if (await moveAside(original, spot)) parked.push({ parked: spot, original, digest: diffId, size: 0, kind: 'snapshot' });
  }

  const leasedNow = await ctx.leases.live();
  for (const p of parked) {
    if (leasedNow.has(p.digest)) {
      if (!(await restore(p.parked, p.original))) await removeTree(p.parked);
      continue;
    }
    if (p.kind === 'blob') {
      await rm(p.parked, { force: true });
      report.blobs.push({ digest: p.digest, size: p.size });
      report.reclaimedBytes += p.size;
    } else {
      // Renamed again first, so a death mid-removal leaves trash, not a half-deleted snapshot to restore.
      const trash = trashPath(paths);
      await rename(p.parked, trash);
      const size = await treeSize(trash);
      await removeTree(trash);
      report.snapshots.push({ diffId: p.digest, size });
      report.reclaimedBytes += size;
    }
  }
  await ctx.meta.forget(report.blobs.map((b) => b.digest));

  if (options.all) {
    for (const hold of holds) if (await ctx.meta.removeHold(hold.name)) report.holds.push(hold.name);
  }
  const temp = await cleanTemp(paths);
  report.temp = temp.removed;
  report.reclaimedBytes += temp.bytes;
  return report;
}

async function moveAside(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function listBlobs(paths: StorePaths): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await listDir(paths.blobs)) {
    for (const name of await listDir(join(paths.blobs, alg))) {
      const d = `${alg}:${name}`;
      if (isDigest(d)) out.push(d);
    }
  }
  return out;
}

async function listSnapshots(paths: StorePaths): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const name of await listDir(paths.snapshots)) {
    const dash = name.indexOf('-');
    const d = dash < 0 ? `sha256:${name}` : `${name.slice(0, dash)}:${name.slice(dash + 1)}`;
    if (isDigest(d)) out.push(d);
  }
  return out;
}
