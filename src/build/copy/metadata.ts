/** The owner, mode and times a copy gives what it writes, set on a name it has just made. */
import { chmodSync, lchownSync, lutimesSync } from 'node:fs';

export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
}

/** Owner, then mode (chown clears set-id bits), then times; a symlink's mode is left alone (it has none to set). */
export function setMeta(abs: string, meta: FileMeta, symlink = false): void {
  lchownSync(abs, meta.uid, meta.gid);
  if (!symlink) chmodSync(abs, meta.mode);
  setTimes(abs, meta.mtimeNs);
}

/** `mtimeNs` as atime too: layers record no atime, and the host's would vary. */
export function setTimes(abs: string, mtimeNs: bigint, atimeNs = mtimeNs): void {
  lutimesSync(abs, nsToSeconds(atimeNs), nsToSeconds(mtimeNs));
}

function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
