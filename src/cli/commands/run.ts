import { resolveBase } from '../../build/base.js';
import { withDefaultPath } from '../../build/defaults.js';
import { lowerDirs } from '../../build/layers.js';
import { ExecError, UsageError } from '../../errors.js';
import { runStep } from '../../exec/run.js';
import { hostPlatform, parsePlatform } from '../../image/platform.js';
import { keyValues, parseOptions } from '../options.js';
import { ROOT_OPTION, ROOT_USAGE, withStore } from '../store.js';
import type { Command } from '../types.js';

export const runCommand: Command = {
  summary: 'Run a command in a new container from an image (its changes are discarded)',
  usage: `Usage: hull run [OPTIONS] IMAGE [COMMAND [ARG...]]

Run the image's entrypoint and command (or COMMAND instead of its command) in a container over
the image's layers, as the image's user, in its working directory, and print what it writes.
The container's changes are thrown away. The image is pulled when the store lacks it.

Options:
  -e, --env K=V          set an environment variable (repeat; K alone takes $K from here)
  -u, --user USER        run as USER (name or uid[:gid]) instead of the image's
      --entrypoint CMD   replace the image's entrypoint
      --network MODE     host (default) or none
      --platform P       the platform of a multi-platform image (default: this machine's)
      --runtime NAME     crun, runc or chroot (default: the first that works here)
${ROOT_USAGE}`,
  async run(args, io) {
    // Options stop at the image name: what follows is the container's command line.
    const imageAt = firstPositional(args);
    const { values, positionals } = parseOptions(args.slice(0, imageAt + 1), {
      ...ROOT_OPTION,
      env: { type: 'string', short: 'e', multiple: true },
      user: { type: 'string', short: 'u' },
      entrypoint: { type: 'string' },
      network: { type: 'string', default: 'host' },
      platform: { type: 'string' },
      runtime: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give the image to run');
    if (values.network !== 'host' && values.network !== 'none') throw new UsageError(`--network ${values.network}: use host or none`);
    const command = args.slice(imageAt + 1);
    const platform = values.platform === undefined ? hostPlatform() : parsePlatform(values.platform);
    return withStore(values.root, async (store) => {
      const image = await resolveBase(store, positionals[0]!, platform, { pull: false, onWarning: (m) => io.err(`warning: ${m}\n`) });
      const config = withDefaultPath(image.config).config ?? {};
      const entrypoint = values.entrypoint !== undefined ? (values.entrypoint === '' ? [] : [values.entrypoint]) : (config.Entrypoint ?? []);
      const argv = [...entrypoint, ...(command.length > 0 ? command : values.entrypoint !== undefined ? [] : (config.Cmd ?? []))];
      if (argv.length === 0) throw new UsageError(`${positionals[0]} has no entrypoint or command: give a COMMAND`);
      const env = [...(config.Env ?? []), ...[...keyValues(values.env, '--env', process.env)].map(([k, v]) => `${k}=${v}`)];
      try {
        const result = await runStep({
          lowers: await lowerDirs(store, image.layers),
          scratch: store.paths.tmp,
          args: argv,
          env,
          cwd: config.WorkingDir || '/',
          user: values.user ?? config.User ?? '',
          network: values.network as 'host' | 'none',
          ...(values.runtime !== undefined ? { runtime: values.runtime } : {}),
          onOutput: (chunk, stream) => (stream === 'stdout' ? io.out(chunk) : io.err(chunk)),
        });
        await result.cleanup();
        return 0;
      } catch (err) {
        // The container's own exit status is the command's, as with docker run.
        if (err instanceof ExecError && err.exitCode !== undefined) return err.exitCode;
        throw err;
      }
    });
  },
};

/** Index of the image name: the first argument that is neither an option nor an option's value. */
function firstPositional(args: readonly string[]): number {
  const takesValue = new Set(['-e', '--env', '-u', '--user', '--entrypoint', '--network', '--platform', '--runtime', '--root']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (takesValue.has(a)) i++;
    else if (!a.startsWith('-')) return i;
  }
  return args.length;
}
