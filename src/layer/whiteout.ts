/**
 * Whiteouts, both ways. In a layer (OCI/AUFS style) a deleted `x` is an empty file `.wh.x` and a
 * directory whose lower contents are hidden holds `.wh..wh..opq`. In an overlayfs upper directory
 * the same facts are a 0/0 character device `x` and the xattr `trusted.overlay.opaque=y`
 * (`user.overlay.opaque` when rootless).
 */
import type { BigIntStats } from 'node:fs';
import { LayerError, UnsafeArchiveError } from '../errors.js';
import { printable } from './resolve.js';
import type { Xattrs } from './xattrs.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * How extraction treats whiteout entries: `overlay` turns them into overlayfs whiteouts (for a
 * snapshot used as an overlay lower dir), `oci` keeps them as plain files, `apply` deletes what
 * they name (flattening layers into one rootfs, as `docker export` or umoci do).
 */
export type WhiteoutMode = 'overlay' | 'oci' | 'apply';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque' }
  /** Other AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): skipped, as containerd does. */
  | { kind: 'meta' }
  | { kind: 'whiteout'; target: string };

/** What the last component of an entry name means. */
export function classifyWhiteout(base: string, entry: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') {
    throw new UnsafeArchiveError(`entry '${printable(entry)}': whiteout of '${printable(target)}' would delete outside its directory`, entry);
  }
  return { kind: 'whiteout', target };
}

export function overlayXattrPrefix(rootless: boolean): string {
  return rootless ? 'user.overlay.' : 'trusted.overlay.';
}

// ---------------------------------------------------------------------------------------------
// Writing: an overlay upper dir → layer entries.

/** overlayfs marks a deletion with a character device 0/0. */
export function isOverlayWhiteout(stat: BigIntStats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0n;
}

function isYes(value: Buffer | undefined): boolean {
  return value !== undefined && value.toString('latin1') === 'y';
}

export function isOpaqueDir(xattrs: Xattrs | undefined): boolean {
  if (!xattrs) return false;
  return isYes(xattrs.get('trusted.overlay.opaque')) || isYes(xattrs.get('user.overlay.opaque'));
}

/**
 * Overlay features whose upper dir is not a plain diff (a renamed directory that still reads from
 * below, a file whose data stays below): the snapshotter must mount with redirect_dir=off and
 * metacopy=off. Refuse rather than write a wrong layer.
 */
export function checkOverlaySupported(xattrs: Xattrs | undefined, path: string): void {
  if (!xattrs) return;
  for (const name of xattrs.keys()) {
    const short = name.replace(/^(trusted|user)\.overlay\./, '');
    if (short !== name && (short === 'redirect' || short === 'metacopy')) {
      throw new LayerError(`'${path}' carries ${name}: mount overlayfs with redirect_dir=off,metacopy=off to snapshot layers`, path);
    }
  }
}

/** The layer name for a deletion of `rel`. */
export function whiteoutEntryName(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? `${WHITEOUT_PREFIX}${rel}` : `${rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${rel.slice(slash + 1)}`;
}

export function opaqueEntryName(dirRel: string): string {
  return `${dirRel}/${WHITEOUT_OPAQUE}`;
}

/** A file on disk whose name a layer reader would take for a whiteout cannot be stored. */
export function checkNotWhiteoutName(rel: string): void {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    throw new LayerError(`'${rel}': names starting with ${WHITEOUT_PREFIX} are reserved for whiteouts and cannot be stored in a layer`, rel);
  }
}

// ---------------------------------------------------------------------------------------------
// Extracting: whiteout entries → overlay whiteouts, or deletions.

/** What the extractor lends whiteout handling. */
export interface WhiteoutContext {
  mode: 'overlay' | 'apply';
  rootless: boolean;
  resolveDir(components: string[], entry: string, create: boolean): Promise<string | null>;
  abs(realRel: string): string;
  /** mknod c 0 0. */
  makeWhiteoutDevice(abs: string): Promise<void>;
  /** Queues an xattr on a directory (set once the archive is done). */
  setDirXattr(realRel: string, name: string, value: Buffer): Promise<void>;
  /** Removes a path (recursively, never following symlinks). */
  remove(abs: string): Promise<void>;
  /** Whether this layer itself created `realRel` (whiteouts only hide lower layers' files). */
  fromThisLayer(realRel: string): boolean;
  /** Whether this layer created something below `realRel`. */
  aboveThisLayer(realRel: string): boolean;
  exists(abs: string): Promise<boolean>;
  isRealDir(abs: string): Promise<boolean>;
  list(abs: string): Promise<string[]>;
}

function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Handles one whiteout entry (`kind` from classifyWhiteout) found under `parent`. */
export async function extractWhiteout(kind: WhiteoutKind, parent: string[], entry: string, ctx: WhiteoutContext): Promise<void> {
  if (kind.kind === 'none' || kind.kind === 'meta') return;
  const dir = await ctx.resolveDir(parent, entry, ctx.mode === 'overlay');
  if (dir === null) return; // apply: the directory is not there, so neither is what it hides
  if (kind.kind === 'opaque') {
    if (ctx.mode === 'overlay') await ctx.setDirXattr(dir, `${overlayXattrPrefix(ctx.rootless)}opaque`, Buffer.from('y'));
    else await purgeLower(dir, ctx);
    return;
  }
  const rel = joinRel(dir, kind.target);
  if (ctx.fromThisLayer(rel) || ctx.aboveThisLayer(rel)) return;
  if (ctx.mode === 'overlay') {
    // The same layer may also add the path (the entry wins: whiteouts hide lower layers only).
    if (!(await ctx.exists(ctx.abs(rel)))) await ctx.makeWhiteoutDevice(ctx.abs(rel));
  } else {
    await ctx.remove(ctx.abs(rel));
  }
}

/** An opaque directory in `apply` mode: drop everything below it that this layer did not add. */
async function purgeLower(dir: string, ctx: WhiteoutContext): Promise<void> {
  for (const name of await ctx.list(ctx.abs(dir))) {
    const rel = joinRel(dir, name);
    const mine = ctx.fromThisLayer(rel);
    if (mine || ctx.aboveThisLayer(rel)) {
      if (await ctx.isRealDir(ctx.abs(rel))) await purgeLower(rel, ctx);
    } else {
      await ctx.remove(ctx.abs(rel));
    }
  }
}
