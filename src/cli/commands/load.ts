import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { loadArchive } from '../../archive/index.js';
import { HullError, UsageError } from '../../errors.js';
import { binaryStreams, type BinaryIo } from '../binary.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const loadCommand: Command = {
  summary: 'Load images from a tar archive (docker-archive or OCI layout)',
  usage: `Usage: hull load [OPTIONS]

Load the images of an archive made by 'hull save', 'docker save' (any version), skopeo or
buildx (docker-archive or OCI layout; plain, gzip or zstd), verifying every blob, and tag
them with the names the archive gives.

Options:
  -i, --input FILE         read FILE instead of standard input
  -q, --quiet              print nothing on success
${ROOT_USAGE}

Example: docker save alpine | hull load`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      input: { type: 'string', short: 'i' },
      quiet: { type: 'boolean', short: 'q' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]!}: give the archive with -i FILE or on standard input`);
    const source = await openInput(values.input, io as BinaryIo);
    try {
      await withStore(values.root, (store) =>
        loadArchive(store, source, {
          warn: (m) => io.err(`warning: ${m}\n`),
          report: (line) => {
            if (!values.quiet) io.out(`${line}\n`);
          },
        }),
      );
    } finally {
      // After a failure the archive may be half read: release the file (standard input is left alone).
      if (values.input !== undefined && values.input !== '-') source.destroy();
    }
    return 0;
  },
};

async function openInput(input: string | undefined, io: BinaryIo): Promise<Readable> {
  if (input === undefined || input === '-') {
    const streams = binaryStreams(io);
    if (streams.stdinIsTTY) throw new HullError('requested load from standard input, but it is a terminal: give -i FILE or pipe an archive in');
    return streams.stdin;
  }
  try {
    // Opened first so a missing file is reported here, before the store is touched.
    const fh = await open(input, 'r');
    return fh.createReadStream();
  } catch (err) {
    throw new HullError(`cannot read ${input}: ${(err as Error).message}`);
  }
}
