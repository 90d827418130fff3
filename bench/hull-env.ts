// How the benches start hull: bin/hull itself, as a user's `hull` does, so that its shebang's V8
// and malloc settings apply (`node bin/hull` would bypass them). The node running the bench is put
// first on PATH for the shebang's `env` to find; node flags (a profile) go through NODE_OPTIONS.
import { dirname } from 'node:path';

export function hullEnv(nodeArgs: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  if (nodeArgs.length > 0) env.NODE_OPTIONS = [process.env.NODE_OPTIONS, ...nodeArgs].filter((a) => a !== undefined && a !== '').join(' ');
  return env;
}
