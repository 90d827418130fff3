import { saveArchive, type ArchiveFormat } from '../../archive/index.js';
import { HullError, UsageError } from '../../errors.js';
import { parsePlatform } from '../../image/platform.js';
import { binaryStreams, type BinaryIo } from '../binary.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';
import { writeToFile, writeToStream } from '../write-out.js';

const FORMATS: readonly ArchiveFormat[] = ['docker', 'oci'];

export const saveCommand: Command = {
  summary: 'Save images to a tar archive (docker-archive or OCI layout)',
  usage: `Usage: hull save [OPTIONS] IMAGE [IMAGE...]

Write one or more images to a tar archive, on standard output unless -o is given.
An IMAGE is name:tag, a repository name alone (all its tags), a digest or an image ID.

Options:
  -o, --output FILE        write to FILE instead of standard output
      --format F           docker (default): what 'docker load' and 'skopeo docker-archive:' read,
                           one platform per image, layers uncompressed; it is also an OCI layout.
                           oci: an OCI image layout ('skopeo oci-archive:', containerd), the
                           images exactly as stored, every platform of a multi-platform image
      --platform P         the platform of a multi-platform image to write, e.g. linux/arm/v7
                           (docker format default: this machine's; oci default: all of them)
${ROOT_USAGE}

Example: hull save -o app.tar app:1.0 && docker load -i app.tar`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      ...ROOT_OPTION,
      output: { type: 'string', short: 'o' },
      format: { type: 'string', default: 'docker' },
      platform: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('give at least one image to save');
    const format = values.format as ArchiveFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format ${values.format}: choose docker or oci`);
    const platform = values.platform === undefined ? undefined : parsePlatform(values.platform);
    const output = values.output === '-' ? undefined : values.output;
    const streams = binaryStreams(io as BinaryIo);
    // docker's rule: a tarball would garble the terminal.
    if (output === undefined && streams.stdoutIsTTY) throw new HullError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    await withStore(values.root, async (store) => {
      const archive = await saveArchive(store, positionals, { format, ...(platform && { platform }), warn: (m) => io.err(`warning: ${m}\n`) });
      if (output === undefined) await writeToStream(archive, streams.stdout);
      else await writeToFile(archive, output);
    });
    return 0;
  },
};
