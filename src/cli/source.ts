import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HullError } from '../errors.js';
import type { Io } from './types.js';

/** The Dockerfile a command works on: `-f FILE`, `-f -` (standard input), or CONTEXT/Dockerfile. */
export async function readDockerfile(io: Io, file: string | undefined, context = '.'): Promise<{ name: string; text: string }> {
  if (file === '-') {
    const text = await io.stdin();
    io.sources.set('-', text);
    return { name: '-', text };
  }
  const name = file ?? join(context, 'Dockerfile');
  try {
    const text = await readFile(name, 'utf8');
    io.sources.set(name, text);
    return { name, text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HullError(`cannot read the Dockerfile: ${name} does not exist`);
    if (code === 'EISDIR') throw new HullError(`cannot read the Dockerfile: ${name} is a directory (give the file with -f)`);
    throw new HullError(`cannot read the Dockerfile ${name}: ${(err as Error).message}`);
  }
}
