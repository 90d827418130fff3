// Runs the CLI against the real process (bin/hull imports this module).
import { main } from './main.js';
import type { Io } from './types.js';

const io: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  sources: new Map(),
};

process.exitCode = await main(process.argv.slice(2), io);
