import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/types.js';

/** Runs the CLI in-process with captured output. */
export async function runCli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), stdin: async () => stdin, sources: new Map() };
  const code = await main(args, io);
  return { code, out, err };
}
