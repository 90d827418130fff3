/**
 * File contents for the layer writer. Reading one small file after another through libuv costs a
 * round trip per open/read/close, which left the writer idle most of the time; so the contents of
 * upcoming small files are read while earlier entries are still being emitted, within a window
 * bounded in bytes and in files. Large files are streamed in fixed chunks. Either way the size
 * seen by lstat is checked: a file that changed while being packed is an error, never a
 * silently wrong layer.
 */
import { close, open, read } from 'node:fs';
import { LayerError } from '../errors.js';
import type { WalkEntry } from './walk.js';

// The callback API on plain descriptors: for many small files it costs the main thread less
// than fs/promises' FileHandle (measured: 20,000 files read in 0.8 s instead of 1.2 s).
function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}
function readFd(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}
function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

/** Files up to this size are read whole, ahead of time. */
export const SMALL_FILE = 256 * 1024;
const AHEAD_BYTES = 8 * 1024 * 1024;
const AHEAD_FILES = 64;
export const READ_CHUNK = 1024 * 1024;

function changed(rel: string, how: string): LayerError {
  return new LayerError(`'${rel}' ${how} while being packed`, rel);
}

/** The whole of a small file, which must still be `size` bytes long. */
export async function readWhole(path: string, size: number, rel: string): Promise<Buffer> {
  const fd = await openFd(path);
  try {
    // One spare byte: reading it means the file grew.
    const buf = Buffer.allocUnsafe(size + 1);
    let pos = 0;
    for (;;) {
      const bytesRead = await readFd(fd, buf, pos, size + 1 - pos, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      if (pos > size) throw changed(rel, `grew (beyond ${size} bytes)`);
    }
    if (pos < size) throw changed(rel, `shrank (${pos} of ${size} bytes)`);
    return buf.subarray(0, size);
  } finally {
    await closeFd(fd);
  }
}

/** A large file in READ_CHUNK pieces, each a fresh buffer (downstream stages keep them). */
export async function* fileChunks(path: string, size: number, rel: string): AsyncGenerator<Buffer> {
  const fd = await openFd(path);
  try {
    let pos = 0;
    while (pos < size) {
      const want = Math.min(READ_CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const bytesRead = await readFd(fd, buf, 0, want, pos);
      if (bytesRead === 0) throw changed(rel, `shrank (${pos} of ${size} bytes)`);
      pos += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
    if ((await readFd(fd, Buffer.alloc(1), 0, 1, pos)) !== 0) throw changed(rel, `grew (beyond ${size} bytes)`);
  } finally {
    await closeFd(fd);
  }
}

export interface AheadEntry extends WalkEntry {
  /** The contents, already being read, for small regular files (a hardlinked one at its first name). */
  data?: Promise<Buffer>;
}

function firstName(e: WalkEntry, linked: Set<string>): boolean {
  if (e.stat.nlink === 1n) return true;
  const key = `${e.stat.dev}:${e.stat.ino}`;
  if (linked.has(key)) return false;
  linked.add(key);
  return true;
}

/** Passes the walk through, reading small files ahead of the consumer. */
export async function* readAhead(entries: AsyncIterable<WalkEntry>): AsyncGenerator<AheadEntry> {
  const it = entries[Symbol.asyncIterator]();
  const window: AheadEntry[] = [];
  let bytes = 0;
  let done = false;
  /** `dev:ino` of the multiply-linked files met: their later names become tar links, with no contents to read. */
  const linked = new Set<string>();
  try {
    for (;;) {
      while (!done && window.length < AHEAD_FILES && bytes < AHEAD_BYTES) {
        const r = await it.next();
        if (r.done) {
          done = true;
          break;
        }
        const e: AheadEntry = r.value;
        const size = Number(e.stat.size);
        // A file linked from another snapshot (an incremental copy) is read; a later name of an
        // inode met before is a tar link to it.
        if (e.stat.isFile() && size > 0 && size <= SMALL_FILE && firstName(e, linked)) {
          e.data = readWhole(e.abs, size, e.rel);
          e.data.catch(() => undefined); // surfaces when the consumer awaits it
          bytes += size;
        }
        window.push(e);
      }
      const next = window.shift();
      if (!next) return;
      if (next.data) bytes -= Number(next.stat.size);
      yield next;
    }
  } finally {
    await it.return?.();
  }
}
