import { BuildError, LocatedError, type HullError } from '../errors.js';
import type { Io } from './types.js';

/**
 * The error line, and for errors located in a Dockerfile the offending line with a caret
 * under the column, as compilers do: the user sees what to fix without opening the file.
 */
export async function describeError(err: HullError, io: Io): Promise<string> {
  const located = quoteLine(err, io);
  return err instanceof BuildError && err.outputTail.length > 0 ? `${located}\nlast output of the step:\n${err.outputTail.map((l) => `  ${l}`).join('\n')}` : located;
}

function quoteLine(err: HullError, io: Io): string {
  const head = `error: ${err.message}`;
  if (!(err instanceof LocatedError)) return head;
  const text = io.sources.get(err.file);
  const line = text?.split('\n')[err.line - 1]?.replace(/\r$/, '');
  if (line === undefined) return head;
  const number = String(err.line);
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  const caretAt = Math.min(err.column - 1, 200);
  const indent = shown.slice(0, caretAt).replace(/[^\t]/g, ' ');
  return `${head}\n ${number} | ${shown}\n ${' '.repeat(number.length)} | ${indent}^`;
}
