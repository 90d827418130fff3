import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** node's own argument parser, with its errors turned into UsageErrors the CLI prints with the usage. */
export function parseOptions<T extends Options>(args: readonly string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `K=V` pairs (`--build-arg`); a bare `K` takes the value of the environment variable K, as docker does. */
export function keyValues(pairs: readonly string[] | undefined, flag: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq === 0) throw new UsageError(`${flag} ${pair}: the name before "=" is missing`);
    if (eq < 0) {
      const value = env[pair];
      if (value !== undefined) map.set(pair, value);
    } else {
      map.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return map;
}

/**
 * buildx's comma-separated flag values (`type=oci,dest=out.tar`) → [key, value] pairs, both
 * trimmed, in order; a part without a key before its `=` is reported through `bad`.
 */
export function csvFields(spec: string, bad: (part: string) => UsageError): [string, string][] {
  return spec.split(',').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(part);
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  });
}
