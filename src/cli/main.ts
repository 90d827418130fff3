import { HullError, UsageError } from '../errors.js';
import { buildCommand } from './commands/build.js';
import { diffCommand } from './commands/diff.js';
import { graphCommand } from './commands/graph.js';
import { historyCommand } from './commands/history.js';
import { imagesCommand } from './commands/images.js';
import { importCommand } from './commands/import.js';
import { inspectCommand } from './commands/inspect.js';
import { loadCommand } from './commands/load.js';
import { loginCommand, logoutCommand } from './commands/login.js';
import { parseCommand } from './commands/parse.js';
import { pruneCommand } from './commands/prune.js';
import { pushCommand } from './commands/push.js';
import { pullCommand } from './commands/pull.js';
import { rmiCommand } from './commands/rmi.js';
import { runCommand } from './commands/run.js';
import { saveCommand } from './commands/save.js';
import { tagCommand } from './commands/tag.js';
import { describeError } from './report.js';
import type { Command, Io } from './types.js';

const COMMANDS: Record<string, Command> = {
  build: buildCommand,
  parse: parseCommand,
  graph: graphCommand,
  images: imagesCommand,
  import: importCommand,
  tag: tagCommand,
  rmi: rmiCommand,
  run: runCommand,
  inspect: inspectCommand,
  history: historyCommand,
  diff: diffCommand,
  prune: pruneCommand,
  push: pushCommand,
  save: saveCommand,
  load: loadCommand,
  pull: pullCommand,
  login: loginCommand,
  logout: logoutCommand,
};

const USAGE = `Usage: hull COMMAND [OPTIONS]

A daemonless Dockerfile build engine.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Run 'hull COMMAND --help' for a command's options.`;

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failed, 2 wrong usage). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(`hull ${await version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`hull: '${name}' is not a hull command. See 'hull --help'.\n`);
    return 2;
  }
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`hull ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof HullError) {
      io.err(`${await describeError(err, io)}\n`);
      return 1;
    }
    throw err;
  }
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module');
  const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };
  return pkg.version;
}
