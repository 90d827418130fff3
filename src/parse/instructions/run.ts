import { fail, inlineFile, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import { MountSpecError, parseMount } from './mount.js';
import type { Mount, RunInstruction, RunNetwork, RunSecurity } from './types.js';

const NETWORKS: readonly RunNetwork[] = ['default', 'none', 'host'];
const SECURITY: readonly RunSecurity[] = ['insecure', 'sandbox'];

export function parseRun(ctx: ParseContext): RunInstruction {
  const { node } = ctx;
  const flags = parseFlags(ctx, { accepted: { mount: 'list', network: 'string', security: 'string' } });

  const mounts: Mount[] = flags.list('mount').map((word) => {
    try {
      return parseMount(word.value, word.range);
    } catch (e) {
      if (e instanceof MountSpecError) fail(ctx, word.range.start, `invalid --mount: ${e.message}`);
      throw e;
    }
  });

  const run: RunInstruction = {
    kind: 'run',
    node,
    range: node.range,
    form: node.json ? 'exec' : 'shell',
    command: commandLine(node.json, node.args.map((a) => a.value)),
    heredocs: node.heredocs.map(inlineFile),
    mounts,
  };

  const network = flags.string('network');
  if (network) {
    if (!(NETWORKS as readonly string[]).includes(network.value)) {
      fail(ctx, network.range.start, `--network=${network.value} is not supported; use default, none or host`);
    }
    run.network = network.value as RunNetwork;
  }
  const security = flags.string('security');
  if (security) {
    if (!(SECURITY as readonly string[]).includes(security.value)) {
      fail(ctx, security.range.start, `--security=${security.value} is not supported; use sandbox or insecure`);
    }
    run.security = security.value as RunSecurity;
  }

  if (run.command.length === 0 || (run.form === 'shell' && run.command.every((c) => c.trim() === '') && run.heredocs.length === 0)) {
    fail(ctx, node.range.start, run.form === 'exec' ? 'RUN [] has an empty command: give the program to run' : 'RUN needs a command to run');
  }
  return run;
}

/** Shell form is one command line (the parser keeps it whole); exec form is the JSON words. */
export function commandLine(json: boolean, words: string[]): string[] {
  if (json) return words;
  if (words.length === 0) return [];
  return [words.join(' ')];
}
