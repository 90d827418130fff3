import { UsageError } from '../../errors.js';
import { normalizeReference } from '../../image/reference.js';
import { parsePlatform } from '../../image/platform.js';
import { importRootfs } from '../../store/import.js';
import { binaryStreams } from '../binary.js';
import { COMPRESSION_OPTIONS, COMPRESSION_USAGE, parseCompression } from '../compression.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const importCommand: Command = {
  summary: 'Create a one-layer image from a root filesystem (directory or tarball)',
  usage: `Usage: hull import [OPTIONS] DIR|TARBALL|- REF

Create an image whose single layer is the given root filesystem, as 'docker import' does.
A tarball may be plain, gzip or zstd; - reads it from standard input.

Options:
      --platform P         the image's platform (default: this machine's), e.g. linux/arm/v7
  -m, --message TEXT       the history comment (default: "Imported from SOURCE")
${COMPRESSION_USAGE}
${ROOT_USAGE}

Reproducible: with SOURCE_DATE_EPOCH set, the image's date and every file's mtime are clamped to it.`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      platform: { type: 'string' },
      message: { type: 'string', short: 'm' },
      ...COMPRESSION_OPTIONS,
    });
    if (positionals.length !== 2) throw new UsageError('give the root filesystem and the reference to tag it with');
    const { compression, level } = parseCompression(values);
    const [source, ref] = positionals as [string, string];
    const reference = normalizeReference(ref);
    const epoch = process.env.SOURCE_DATE_EPOCH;
    const result = await withStore(values.root, (store) =>
      importRootfs(store, source, reference, {
        compression,
        ...(level !== undefined && { level }),
        ...(values.platform !== undefined && { platform: parsePlatform(values.platform) }),
        ...(values.message !== undefined && { message: values.message }),
        ...(epoch !== undefined && epoch !== '' && { sourceDateEpoch: Number(epoch) }),
        stdin: binaryStreams(io).stdin,
      }),
    );
    io.out(`${result.config.digest}\n`);
    return 0;
  },
};
