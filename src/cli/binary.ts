/**
 * Binary standard streams for commands that move archives (save, load). `Io` carries text;
 * these bytes go to the process's own streams unless the caller (a test) supplies others.
 */
import type { Readable, Writable } from 'node:stream';
import type { Io } from './types.js';

export interface BinaryStreams {
  stdout: Writable;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}

/** An Io that may bring its own binary streams (tests do). */
export type BinaryIo = Io & { binary?: Partial<BinaryStreams> };

export function binaryStreams(io: BinaryIo): BinaryStreams {
  const given = io.binary ?? {};
  return {
    stdout: given.stdout ?? process.stdout,
    stdin: given.stdin ?? process.stdin,
    stdoutIsTTY: given.stdoutIsTTY ?? (given.stdout ? false : process.stdout.isTTY === true),
    stdinIsTTY: given.stdinIsTTY ?? (given.stdin ? false : process.stdin.isTTY === true),
  };
}
