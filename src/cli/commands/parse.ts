import { dumpDockerfile } from '../../parse/dump.js';
import { parseDockerfile } from '../../parse/parser.js';
import { UsageError } from '../../errors.js';
import { parseOptions } from '../options.js';
import { readDockerfile } from '../source.js';
import type { Command } from '../types.js';

export const parseCommand: Command = {
  summary: 'Parse a Dockerfile and print its syntax tree',
  usage: `Usage: hull parse [--dump | --json] FILE

Parse a Dockerfile (FILE, or - for standard input) and print it.

Options:
  --dump   one line per instruction, in BuildKit's parser dump format (default)
  --json   the syntax tree as JSON, with line and column positions`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      dump: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.dump && values.json) throw new UsageError('choose one of --dump and --json');
    if (positionals.length !== 1) throw new UsageError('give exactly one Dockerfile');
    const { name, text } = await readDockerfile(io, positionals[0]);
    const dockerfile = parseDockerfile(text, { file: name });
    for (const w of dockerfile.warnings) io.err(`warning: ${name}:${w.range.start.line}:${w.range.start.column}: ${w.message}\n`);
    io.out(values.json ? `${JSON.stringify(dockerfile, null, 2)}\n` : dumpDockerfile(dockerfile));
    return 0;
  },
};
