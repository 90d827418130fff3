/**
 * Writing a byte stream to a file (atomically: a temp file beside it, renamed when complete,
 * removed on failure, so a failed save never leaves a truncated archive under the name asked
 * for) or to an already open stream such as standard output (which is not ended).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { HullError } from '../errors.js';

export async function writeToStream(chunks: AsyncIterable<Buffer>, out: Writable): Promise<void> {
  let failed: Error | undefined;
  const onError = (err: Error): void => {
    failed = err;
  };
  out.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failed) throw failed;
      // 'drain', or 'error' (once() rejects on it), e.g. EPIPE when the reader went away.
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (failed) throw failed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new HullError('the output was closed before the archive was complete (broken pipe)');
    throw err;
  } finally {
    out.off('error', onError);
  }
}

export async function writeToFile(chunks: AsyncIterable<Buffer>, path: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  try {
    await writeToStream(chunks, out);
    out.end();
    await finished(out);
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    // A system error (no such directory, disk full) is the user's to fix: say so without a stack.
    if (!(err instanceof HullError) && (err as NodeJS.ErrnoException).code !== undefined) throw new HullError(`cannot write ${path}: ${(err as Error).message}`);
    throw err;
  }
}
