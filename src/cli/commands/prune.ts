import { dropBuildCache } from '../../cache/drop.js';
import { UsageError } from '../../errors.js';
import { humanSize } from '../image.js';
import { parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const pruneCommand: Command = {
  summary: 'Remove what no image needs from the store',
  usage: `Usage: hull prune [--all]

Remove blobs and layer snapshots no tag needs, and temp files of processes that died.

Options:
  -a, --all                also drop the build cache (step records, RUN cache mounts, build
                           records): keep only what a tag needs
${ROOT_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { ...ROOT_OPTION, all: { type: 'boolean', short: 'a' } });
    if (positionals.length > 0) throw new UsageError('hull prune takes no arguments');
    const { report, dropped } = await withStore(values.root, async (store) => ({
      report: await store.prune({ all: values.all ?? false }),
      dropped: values.all ? await dropBuildCache(store) : [],
    }));
    for (const b of report.blobs) io.out(`Deleted blob: ${b.digest}\n`);
    for (const s of report.snapshots) io.out(`Deleted snapshot: ${s.diffId}\n`);
    for (const h of report.holds) io.out(`Dropped cache: ${h}\n`);
    if (dropped.length > 0) io.out(`Dropped the build cache (${dropped.join(', ')})\n`);
    if (report.temp.length > 0) io.out(`Removed ${report.temp.length} temp leftover(s)\n`);
    io.out(`Total reclaimed space: ${humanSize(report.reclaimedBytes)}\n`);
    return 0;
  },
};
