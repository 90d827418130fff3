// How the benches start hull: bin/hull itself, as a user's `hull` does, so that its shebang's V8
// and malloc settings apply (`node bin/hull` would bypass them). The node running the bench is put
// first on PATH for the shebang's `env` to find. With node flags (a CPU profile, which NODE_OPTIONS
// refuses) node is started directly, with the shebang's settings read from bin/hull's first line.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface HullCommand {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export function hullCommand(hull: string, args: readonly string[], nodeArgs: readonly string[] = []): HullCommand {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  if (nodeArgs.length === 0) return { cmd: hull, args: [...args], env };
  // `#!/usr/bin/env -S NAME=VALUE… node FLAG…`
  const words = readFileSync(hull, 'utf8').split('\n')[0]!.replace(/^#!\S+(\s+-S)?\s*/, '').split(/\s+/);
  const node = words.indexOf('node');
  for (const assignment of words.slice(0, Math.max(0, node))) {
    const eq = assignment.indexOf('=');
    if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return { cmd: process.execPath, args: [...words.slice(node + 1), ...nodeArgs, hull, ...args], env };
}
